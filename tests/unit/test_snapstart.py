"""SnapStart (commerce.snapstart): without it nothing is registered; with it, one primed process
"restored" twice gives each restore its own ids, token ids, nonces and random sequence.

A restore is emulated with `os.fork()` of the primed process, undoing what a fork does and a
snapshot restore does not: Python reseeds `random` in a forked child (an at-fork handler), Lambda's
restore runs no at-fork handler, so each child first puts back the generator state the parent had
at the "snapshot". https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter with the place-order function's environment, initialized for a snapshot.
_PRIMED_PROCESS = r"""
import json, os, random, sys
import snapshot_restore_py as hooks
import orders.place_order  # the handler's module: registers the SnapStart hooks
from commerce import snapstart
assert snapstart.snapshot_init()
for function, args, kwargs in reversed(hooks.get_before_snapshot()):
    function(*args, **kwargs)
run_hooks = sys.argv[1] == "hooks"

def values():
    from commerce.events import new_metadata
    from commerce.retry import delays
    from identity.domain import new_refresh_token
    from identity.passwords import hash_password
    from identity.tokens import TokenSettings, access_claims
    settings = TokenSettings(issuer="https://issuer", audience="commerce")
    return {
        "random": [random.random() for _ in range(3)],
        "retry_jitter": list(delays(4, base=0.05, cap=1.0)),
        "event_id": new_metadata("c").eventId,
        "jti": access_claims("u", [], settings, 0)["jti"],
        "password_salt": hash_password("correct-horse-battery").split("$")[4],
        "refresh_token": new_refresh_token(),
    }

snapshot = random.getstate()
outputs = []
for _ in range(2):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        random.setstate(snapshot)  # what the restored memory holds: the fork's reseed undone
        if run_hooks:
            for function, args, kwargs in hooks.get_after_restore():
                function(*args, **kwargs)
        os.write(write, json.dumps(values()).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.waitpid(pid, 0)
    outputs.append(json.loads(b"".join(chunks)))
print(json.dumps({"restores": outputs, "report": snapstart.report}))
"""


def _environment(init_type: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
        "AWS_LAMBDA_FUNCTION_NAME": "orders-place-order",
        "_HANDLER": "orders.place_order.lambda_handler",
        "POWERTOOLS_SERVICE_NAME": "orders",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYDANTIC_DISABLE_PLUGINS": "__all__",
        "TABLE_NAME": "orders",
        "CATALOG_TABLE_NAME": "catalog",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # Nothing may leave the machine: priming refuses every AWS request before it is sent.
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }


def _restores(mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _PRIMED_PROCESS, mode],
        env=_environment("snap-start"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_two_restores_of_one_primed_process_never_share_an_id_a_nonce_or_a_random_sequence() -> None:
    result = _restores("hooks")
    first, second = result["restores"]
    for name, value in first.items():
        assert value != second[name], name
    # It was primed: the place-order use case's adapter, its client, its models and its route.
    report = result["report"]
    assert "DynamoOrderStore" in report["adapters"]
    assert any(client.startswith("dynamodb:") for client in report["clients"])
    assert report["models"] > 0
    assert report["warm_ups"] >= 1


def test_without_the_after_restore_hooks_both_restores_repeat_one_random_sequence() -> None:
    # The control: what the hooks fix. ids from uuid4/secrets read the OS and differ regardless.
    first, second = _restores("no-hooks")["restores"]
    assert first["random"] == second["random"]
    assert first["retry_jitter"] == second["retry_jitter"]
    assert first["event_id"] != second["event_id"]
    assert first["jti"] != second["jti"]


def test_outside_snapstart_no_hook_is_registered_and_nothing_is_primed() -> None:
    code = (
        "import snapshot_restore_py as hooks, orders.place_order, identity.authorizer;"
        "print(len(hooks.get_before_snapshot()), len(hooks.get_after_restore()))"
    )
    for init_type in ("on-demand", "provisioned-concurrency"):
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=_environment(init_type),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert done.stdout.split() == ["0", "0"], init_type


# Runs in a fresh interpreter initialized for a snapshot: Secrets Manager is a recording stand-in
# behind commerce.parameters, so the test sees when each secret is read (before or after the snapshot).
_SECRET_READS = r"""
import importlib, json, sys, time
import snapshot_restore_py as hooks
module = importlib.import_module(sys.argv[1])
from commerce import parameters, snapstart
reads = []
class SecretsManager:
    def get_secret_value(self, SecretId):
        reads.append(SecretId)
        if sys.argv[2] == "slow":
            time.sleep(snapstart.LOAD_DEADLINE_SECONDS + 2)
        if sys.argv[2] == "down":
            raise ConnectionError("Secrets Manager is unreachable")
        return {"SecretString": json.dumps({"apiKey": "sk_test_x", "webhookSecret": "whsec_x"})}
parameters.secretsmanager = SecretsManager
for function, args, kwargs in reversed(hooks.get_before_snapshot()):
    function(*args, **kwargs)
in_snapshot = [key[1] for key in parameters._cache]
before = list(reads)
started = time.monotonic()
for function, args, kwargs in hooks.get_after_restore():
    function(*args, **kwargs)
print(json.dumps({"before_snapshot": before, "in_snapshot": in_snapshot, "after_restore": reads,
                  "cached": [key[1] for key in parameters._cache], "restore_s": time.monotonic() - started}))
"""

_SECRET_FUNCTIONS = {
    "catalog.list_products": {"POWERTOOLS_SERVICE_NAME": "catalog", "CURSOR_SECRET_ARN": "cursor-key"},
    "payments.stripe_webhook": {"POWERTOOLS_SERVICE_NAME": "payments", "STRIPE_SECRET_ARN": "stripe"},
}


def _secret_reads(module: str, mode: str = "ok") -> dict[str, Any]:
    env = {
        **_environment("snap-start"),
        **_SECRET_FUNCTIONS[module],
        "_HANDLER": f"{module}.lambda_handler",
        "TABLE_NAME": "table",
    }
    done = subprocess.run(
        [sys.executable, "-c", _SECRET_READS, module, mode],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_secrets_a_first_call_reads_are_read_after_each_restore_and_never_into_the_snapshot() -> None:
    # A snapshot is kept while its version exists and resumed by every environment: no secret in it
    # (it would outlive its rotation).
    # https://docs.aws.amazon.com/lambda/latest/dg/snapstart-security.html
    functions = (("catalog.list_products", "cursor-key"), ("payments.stripe_webhook", "stripe"))
    for module, secret_arn in functions:
        reads = _secret_reads(module)
        assert reads["before_snapshot"] == [], module
        assert reads["in_snapshot"] == [], module
        assert reads["after_restore"] == [secret_arn], module
        assert reads["cached"] == [secret_arn], module


def test_a_secret_that_cannot_be_read_after_a_restore_neither_fails_nor_holds_up_the_restore() -> None:
    # An after-restore hook that raises fails the restore (SnapStartException), and the runtime and
    # every hook get 10 s: https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html
    down = _secret_reads("payments.stripe_webhook", "down")
    assert down["after_restore"] == ["stripe"]
    assert down["cached"] == []  # the first call reads it
    slow = _secret_reads("payments.stripe_webhook", "slow")
    assert slow["restore_s"] < 3.0 + 1.5  # LOAD_DEADLINE_SECONDS, not the secret's 5 s


def test_priming_writes_no_log_record_and_no_metric_but_its_own_line() -> None:
    # The warm-up requests log and flush metrics as a real call does (so that path is primed), into
    # a buffer that is dropped: stdout (CloudWatch Logs, EMF metrics) gets only "primed for the snapshot".
    env = {
        **_environment("snap-start"),
        **_SECRET_FUNCTIONS["catalog.list_products"],
        "_HANDLER": "catalog.list_products.lambda_handler",
        "TABLE_NAME": "table",
        "POWERTOOLS_METRICS_NAMESPACE": "Commerce",
    }
    done = subprocess.run(
        [sys.executable, "-c", _SECRET_READS, "catalog.list_products", "ok"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2, lines  # the priming line, then the test's own result
    assert json.loads(lines[0])["message"] == "primed for the snapshot"
    assert json.loads(lines[0])["snapstart"]["warm_ups"] >= 3
