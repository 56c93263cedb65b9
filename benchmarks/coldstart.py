"""Cold start of every function in the synthesized template, next to a floor measured in the same run.

    python -m benchmarks.coldstart [--runs 5] [--only orders] [--out coldstart.json]

Cold start = import + first invocation, as Lambda pays it in a new execution environment:

1. **import**, in a fresh interpreter (`python -I`, nothing preloaded): the function's environment
   exactly as the template resolves it, plus what Lambda sets (`AWS_LAMBDA_FUNCTION_NAME`,
   `LAMBDA_TASK_ROOT`, `_HANDLER`, a sampled `_X_AMZN_TRACE_ID`; tracing ON, no daemon), and the
   timer around `import <service>.<module>` — so boto3, Powertools, pydantic and our code all count;
2. **first invocation** `lambda_handler(<events/service.module.json>, context)` against in-process
   moto: one process provisions the template's resources into `mock_aws` with the local stack's own
   provisioner, and each run forks a child from it that resets boto3's default session (so the
   function's clients load their own service models, as in a new environment), imports the function
   (untimed) and times the call.

Work moved from import into the first invocation still counts. The floor is
benchmarks/floor_handler.py (Powertools Logger, Tracer, Metrics and one boto3 client, one event),
measured the same way. Runs are interleaved (floor, f1, f2, ... per round) so machine noise hits every
function alike; the median of the runs is reported. Budget: every function <= BUDGET_RATIO x floor.

What step 2 cannot see: a module the first invocation imports lazily that moto had already loaded
in the parent is not charged (`invoke_preloaded` lists the watched ones per function).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json"
EVENTS = ROOT / "events"
BUDGET_RATIO = 1.3
FLOOR = "Floor"
FLOOR_HANDLER = "floor_handler.lambda_handler"
HTTP_FLOOR = "FloorHttp"  # diagnostic only: the floor plus Powertools' REST resolver with validation
HTTP_FLOOR_HANDLER = "floor_http_handler.lambda_handler"
# An authorizer denies by raising exactly this (API Gateway answers 401); it is an outcome, not a failure.
AUTHORIZER_DENY = "Exception: Unauthorized"

BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


class Context:
    """What Lambda passes as `context` (enough for Powertools)."""

    def __init__(self, name: str, memory_mb: int) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.memory_limit_in_mb = str(memory_mb)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "bench"
        self.identity = None
        self.client_context = None
        self._deadline = time.time() + 30

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


class InProcessClients:
    """The provisioner's client factory, bound to in-process moto instead of an endpoint."""

    def __init__(self) -> None:
        import boto3

        self._clients: dict[str, Any] = {}
        self._boto3 = boto3

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._boto3.client(service, region_name="us-east-1")
        return self._clients[service]


def sample_event(handler: str) -> tuple[dict[str, Any], str | None]:
    module = handler.rpartition(".")[0]
    path = EVENTS / f"{module}.json"
    if not path.exists():
        return {}, f"no events/{module}.json"
    return json.loads(path.read_text()), None


def _lambda_env(
    name: str, memory_mb: int, environment: dict[str, str], handler: str, code_path: str
) -> dict[str, str]:
    env = dict(environment)
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            # Lambda sets these; the X-Ray SDK keys its Lambda mode (facade segments, no centralized
            # sampler and so no `xray` client at import) on LAMBDA_TASK_ROOT.
            "LAMBDA_TASK_ROOT": code_path,
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "TZ": ":UTC",
            "_HANDLER": handler,
            # Tracing on, as deployed; there is no daemon, so a missing context must not raise.
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "_X_AMZN_TRACE_ID": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
            f"Parent={uuid.uuid4().hex[:16]};Sampled=1",
        }
    )
    return env


# Runs in a fresh interpreter (`python -I -c`): only what the interpreter and this snippet load.
# (Lambda's own bootstrap has `json` loaded before it imports the handler, too.)
_IMPORT_CHILD = """
import importlib, json, sys, time
target = json.loads(sys.argv[1])
sys.path[0:0] = [target["code_path"]]
sys.path.extend(target["layer_paths"])
started = time.perf_counter()
importlib.import_module(target["module"])
elapsed = (time.perf_counter() - started) * 1000
print("\\n" + json.dumps({"import_ms": elapsed, "modules": len(sys.modules)}))
"""


def _fresh_import(target: dict[str, Any]) -> dict[str, Any]:
    """Step 1: the import, timed in a new interpreter with the function's environment."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **BASE_ENV, **target["env"]}
    payload = {
        "module": target["handler"].rpartition(".")[0],
        "code_path": target["code_path"],
        "layer_paths": target["layer_paths"],
    }
    done = subprocess.run(
        [sys.executable, "-I", "-c", _IMPORT_CHILD, json.dumps(payload)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"import failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"}
    return dict(json.loads(lines[-1]))


def _invoke_child(target: dict[str, Any], write_fd: int) -> None:
    """Step 2, in a child forked from the moto process: import (untimed), then time the first call."""
    watched = ("aws_lambda_powertools", "commerce", "pydantic", "jwt", "stripe")
    preloaded = [m for m in watched if m in sys.modules]
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.environ.pop("POWERTOOLS_TRACE_DISABLED", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(target["env"])
    import boto3

    # A new environment has no boto3 session yet: the function's clients load their own models.
    boto3.DEFAULT_SESSION = None
    sys.path.insert(0, target["code_path"])
    sys.path.extend(target["layer_paths"])
    module_name, _, attribute = target["handler"].rpartition(".")
    outcome: dict[str, Any] = {"preloaded": preloaded}
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # noqa: BLE001 - reported, the run is not counted
        outcome["error"] = f"import: {type(exc).__name__}: {str(exc)[:200]}"
        os.write(write_fd, json.dumps(outcome, default=str).encode())
        os._exit(0)
    started = time.perf_counter()
    try:
        result = getattr(module, attribute)(target["event"], Context(target["name"], target["memory_mb"]))
        outcome.update(
            invoke_ms=(time.perf_counter() - started) * 1000,
            status=result.get("statusCode") if isinstance(result, dict) else None,
            batch_failures=len(result.get("batchItemFailures") or [])
            if isinstance(result, dict) and "batchItemFailures" in result
            else None,
        )
    except BaseException as exc:  # noqa: BLE001 - reported, the run is not counted
        message = f"{type(exc).__name__}: {str(exc)[:200]}"
        if message == AUTHORIZER_DENY:
            outcome.update(invoke_ms=(time.perf_counter() - started) * 1000, status="deny")
        else:
            outcome["error"] = message
    os.write(write_fd, json.dumps(outcome, default=str).encode())
    os.close(write_fd)
    os._exit(0)


def _forked_invoke(target: dict[str, Any]) -> dict[str, Any]:
    # The parent's heap (moto, botocore models) is frozen out of the collector; otherwise every
    # collection in the child would walk it and charge the function for the harness's memory.
    gc.collect()
    gc.freeze()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        os.close(read_fd)
        try:
            _invoke_child(target, write_fd)
        finally:
            os._exit(1)
    os.close(write_fd)
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    os.waitpid(pid, 0)
    if not chunks:
        return {"error": "the child exited without a result"}
    return dict(json.loads(b"".join(chunks)))


def _run_once(target: dict[str, Any]) -> dict[str, Any]:
    imported = _fresh_import(target)
    if "error" in imported:
        return imported
    invoked = _forked_invoke(target)
    if "error" in invoked:
        return invoked
    return {
        **invoked,
        "import_ms": imported["import_ms"],
        "modules": imported["modules"],
        "total_ms": imported["import_ms"] + invoked["invoke_ms"],
    }


def boto3_import_ms() -> float:
    """boto3 import in a clean interpreter (the same for every function; moto needs it pre-timer)."""
    code = "import time; s=time.perf_counter(); import boto3; print((time.perf_counter()-s)*1000)"
    values = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        values.append(float(done.stdout.strip()))
    return round(statistics.median(values), 1)


def targets(template_path: Path, only: str | None) -> list[dict[str, Any]]:
    from local.functions import load_functions
    from local.provision import Provisioner
    from local.template import Template

    template = Template.load(template_path)
    provisioner = Provisioner(template, InProcessClients())  # type: ignore[arg-type]
    provisioner.provision_all()
    provisioner.run_deferred()
    specs = load_functions(template, provisioner.resolver)
    result: list[dict[str, Any]] = [
        {
            "id": FLOOR,
            "name": "bench-floor",
            "handler": FLOOR_HANDLER,
            "code_path": str(ROOT / "benchmarks"),
            "layer_paths": [],
            "memory_mb": 128,
            "event": sample_event("system.health.lambda_handler")[0],
            "note": None,
            # The platform settings every function gets from cdk/constructs/function.py.
            "environment": {
                "POWERTOOLS_SERVICE_NAME": "floor",
                "POWERTOOLS_METRICS_NAMESPACE": "Commerce",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "PYDANTIC_DISABLE_PLUGINS": "__all__",
            },
        }
    ]
    result.append(
        {
            **result[0],
            "id": HTTP_FLOOR,
            "name": "bench-floor-http",
            "handler": HTTP_FLOOR_HANDLER,
        }
    )
    for spec in sorted(specs.values(), key=lambda s: s.logical_id):
        if only and only.lower() not in (spec.logical_id + spec.handler).lower():
            continue
        event, note = sample_event(spec.handler)
        result.append(
            {
                "id": spec.logical_id,
                "name": spec.name,
                "handler": spec.handler,
                "code_path": spec.code_path,
                "layer_paths": spec.layer_paths,
                "memory_mb": spec.memory_mb,
                "event": event,
                "note": note,
                "environment": spec.environment,
            }
        )
    for target in result:
        target["env"] = _lambda_env(
            target["name"], target["memory_mb"], target["environment"], target["handler"], target["code_path"]
        )
    return result


def measure(template_path: Path = TEMPLATE, runs: int = 5, only: str | None = None) -> dict[str, Any]:
    os.environ.update(BASE_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    sys.path.insert(0, str(ROOT))
    from moto import mock_aws

    with mock_aws():
        all_targets = targets(template_path, only)
        samples: dict[str, list[dict[str, Any]]] = {t["id"]: [] for t in all_targets}
        for _ in range(runs):
            for target in all_targets:
                samples[target["id"]].append(_run_once(target))
    floor_ms = statistics.median(s["total_ms"] for s in samples[FLOOR] if "error" not in s)
    http_floor_ms = statistics.median(s["total_ms"] for s in samples[HTTP_FLOOR] if "error" not in s)
    functions = []
    for target in all_targets:
        runs_ok = [s for s in samples[target["id"]] if "error" not in s]
        errors = sorted({s["error"] for s in samples[target["id"]] if "error" in s})
        preloaded = sorted({m for s in samples[target["id"]] for m in s.get("preloaded", [])})
        row: dict[str, Any] = {
            "function": target["id"],
            "handler": target["handler"],
            "memory_mb": target["memory_mb"],
            "runs": len(runs_ok),
            "note": target["note"],
            "errors": errors,
            "invoke_preloaded": preloaded,
        }
        if runs_ok:
            total = statistics.median(s["total_ms"] for s in runs_ok)
            row.update(
                median_ms=round(total, 1),
                import_ms=round(statistics.median(s["import_ms"] for s in runs_ok), 1),
                first_invoke_ms=round(statistics.median(s["invoke_ms"] for s in runs_ok), 1),
                modules=runs_ok[-1]["modules"],
                ratio=round(total / floor_ms, 2),
                ratio_http_floor=round(total / http_floor_ms, 2),
                status=runs_ok[-1].get("status"),
                batch_failures=runs_ok[-1].get("batch_failures"),
            )
            row["within_budget"] = target["id"] in (FLOOR, HTTP_FLOOR) or (
                row["ratio"] <= BUDGET_RATIO and not errors
            )
        else:
            row["within_budget"] = False
        functions.append(row)
    return {
        "runs": runs,
        "budget_ratio": BUDGET_RATIO,
        "floor_ms": round(floor_ms, 1),
        "http_floor_ms": round(http_floor_ms, 1),
        "boto3_import_ms": boto3_import_ms(),
        "functions": functions,
    }


def print_table(report: dict[str, Any]) -> None:
    print(
        f"\nCold start (import + first invocation, median of {report['runs']}, in-process moto, tracing on); "
        f"floor {report['floor_ms']} ms; budget <= {report['budget_ratio']}x floor; "
        f"HTTP floor (+ REST resolver with validation) {report['http_floor_ms']} ms"
    )
    columns = ("MB", "import", "invoke", "total", "x floor", "x http")
    print(f"{'function':<46} " + " ".join(f"{c:>7}" for c in columns) + "  result")
    for row in report["functions"]:
        if "median_ms" not in row:
            dashes = " ".join(f"{'-':>7}" for _ in range(5))
            print(f"{row['function']:<46} {row['memory_mb']:>7} {dashes}  FAIL {row['errors']}")
            continue
        verdict = "ok" if row["within_budget"] else "OVER BUDGET"
        if row["errors"]:
            verdict = f"ERRORS {row['errors']}"
        outcome = f"status {row['status']}" if row["status"] is not None else ""
        if row["batch_failures"] is not None:
            outcome = f"{row['batch_failures']} batch failures"
        if row["note"]:
            outcome += f" ({row['note']})"
        print(
            f"{row['function']:<46} {row['memory_mb']:>7} {row['import_ms']:>7.0f} "
            f"{row['first_invoke_ms']:>7.0f} {row['median_ms']:>7.0f} {row['ratio']:>7.2f} "
            f"{row['ratio_http_floor']:>7.2f}  {verdict} {outcome}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="only functions whose logical id or handler contains this")
    parser.add_argument("--out", help="write the JSON report here")
    args = parser.parse_args()
    report = measure(Path(args.template), args.runs, args.only)
    print_table(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(row["within_budget"] for row in report["functions"]) else 1


if __name__ == "__main__":
    sys.exit(main())
