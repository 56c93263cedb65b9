"""Cold start of every function in the synthesized template, next to a floor measured in the same run.

    python -m benchmarks.coldstart [--runs 5] [--only orders,catalog] [--out coldstart.json]

Cold start = import + first invocation, as Lambda pays it in a new execution environment, both in
one fresh interpreter (`python -I`, nothing preloaded) per run:

1. **import**: the function's environment exactly as the template resolves it, plus what Lambda sets
   (`AWS_LAMBDA_FUNCTION_NAME`, `LAMBDA_TASK_ROOT`, `_HANDLER`, a sampled `_X_AMZN_TRACE_ID`; tracing
   ON, no daemon), and the timer around `import <service>.<module>` — so boto3 (when imported),
   Powertools, pydantic and our code all count;
2. **first invocation**: `lambda_handler(<events/service.module.json>, context)` in the same process,
   timed, so whatever it loads lazily (botocore models, boto3 on a first client, a model built on
   first use) counts too. AWS is moto, reached over loopback HTTP (`AWS_ENDPOINT_URL`): this process
   provisions the template's resources into in-process moto once with the local stack's own
   provisioner, and each run forks a child that serves that pristine state with the local stack's
   moto server (its services warmed with read-only calls), so every run starts from the same data.

The floor is benchmarks/floor_handler.py (Powertools Logger, Tracer, Metrics and one boto3 client, one
event), measured the same way. Runs are interleaved (floor, f1, floor, f2, ... per round) so machine
noise hits every function alike, and the floor, which every ratio divides by, gets a run before each
other run (runs x functions samples): one run of the same code varies by +-20 % here. The median of
the runs is reported. Budget: every function <= BUDGET_RATIO x floor.
"""

from __future__ import annotations

import argparse
import gc
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
# (Lambda's own bootstrap has `json` loaded before it imports the handler, too.) Import and first
# invocation happen in this one process, so whatever the function loads lazily (boto3 on its first
# client, a model built on first use) is charged to it.
_COLD_CHILD = """
import importlib, json, sys, time, uuid
target = json.loads(sys.argv[1])
sys.path[0:0] = [target["code_path"]]
sys.path.extend(target["layer_paths"])
module_name, _, attribute = target["handler"].rpartition(".")
started = time.perf_counter()
module = importlib.import_module(module_name)
import_ms = (time.perf_counter() - started) * 1000
imported = len(sys.modules)

class Context:
    function_name = target["name"]
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + target["name"]
    memory_limit_in_mb = str(target["memory_mb"])
    aws_request_id = str(uuid.uuid4())
    log_group_name = "/aws/lambda/" + target["name"]
    log_stream_name = "bench"
    identity = None
    client_context = None
    def get_remaining_time_in_millis(self):
        return 30000

outcome = {"import_ms": import_ms, "modules": imported}
started = time.perf_counter()
try:
    result = getattr(module, attribute)(target["event"], Context())
    outcome["invoke_ms"] = (time.perf_counter() - started) * 1000
    if isinstance(result, dict):
        outcome["status"] = result.get("statusCode")
        if "batchItemFailures" in result:
            outcome["batch_failures"] = len(result["batchItemFailures"] or [])
except BaseException as exc:
    elapsed = (time.perf_counter() - started) * 1000
    message = type(exc).__name__ + ": " + str(exc)[:200]
    if message == target["authorizer_deny"]:
        outcome.update(invoke_ms=elapsed, status="deny")
    else:
        outcome["error"] = message
outcome["invoke_imported"] = len(sys.modules) - imported
outcome["boto3"] = "boto3" in sys.modules
sys.stdout.flush()
print("\\n" + json.dumps(outcome, default=str))
"""

# Cheap read-only calls that make the stand-in build each service's app before a function's first
# call (moto builds it on the first request); otherwise the first function to call a service would be
# charged for the stand-in's own warm-up.
_WARM_UP = (
    ("dynamodb", "list_tables"),
    ("dynamodbstreams", "list_streams"),
    ("sqs", "list_queues"),
    ("events", "list_event_buses"),
    ("kms", "list_keys"),
    ("secretsmanager", "list_secrets"),
    ("ssm", "describe_parameters"),
    ("sesv2", "list_email_identities"),
    ("ses", "list_identities"),
    ("sns", "list_topics"),
)


def _serve_pristine_state(mock: Any, ready_fd: int, stop_fd: int) -> None:
    """In a child forked from the provisioned moto process: serve that state over HTTP until told.

    The fork is a copy-on-write snapshot, so every run starts from the same provisioned state and
    what a function writes vanishes with its server.
    """
    from local.moto_server import Clients, MotoServer
    from local.net import free_port

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    mock.stop(remove_data=False)  # un-patch botocore in this process; the backends keep their data
    server = MotoServer(free_port()).start()
    clients = Clients(server.endpoint)
    for service, operation in _WARM_UP:
        try:
            getattr(clients(service), operation)()
        except Exception:  # noqa: BLE001,S112 - a service the stand-in lacks is simply not warmed
            continue
    os.write(ready_fd, server.endpoint.encode())
    os.close(ready_fd)
    os.read(stop_fd, 1)  # returns when the parent closes its end
    os._exit(0)


def _run_once(target: dict[str, Any], mock: Any) -> dict[str, Any]:
    """One cold start: a fresh interpreter imports the function and invokes it once against moto."""
    gc.collect()
    ready_read, ready_write = os.pipe()
    stop_read, stop_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        os.close(ready_read)
        os.close(stop_write)
        try:
            _serve_pristine_state(mock, ready_write, stop_read)
        finally:
            os._exit(1)
    os.close(ready_write)
    os.close(stop_read)
    try:
        endpoint = os.read(ready_read, 200).decode()
        os.close(ready_read)
        if not endpoint:
            return {"error": "the moto server did not start"}
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            **BASE_ENV,
            **target["env"],
            "AWS_ENDPOINT_URL": endpoint,
        }
        payload = {
            key: target[key] for key in ("handler", "code_path", "layer_paths", "event", "name", "memory_mb")
        }
        payload["authorizer_deny"] = AUTHORIZER_DENY
        done = subprocess.run(
            [sys.executable, "-I", "-c", _COLD_CHILD, json.dumps(payload)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(stop_write)
        os.waitpid(pid, 0)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"cold start failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"}
    outcome = dict(json.loads(lines[-1]))
    if "error" not in outcome:
        outcome["total_ms"] = outcome["import_ms"] + outcome["invoke_ms"]
    return outcome


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
        name = (spec.logical_id + spec.handler).lower()
        if only and not any(part.strip().lower() in name for part in only.split(",")):
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
    from moto import mock_aws

    with mock_aws() as mock:
        all_targets = targets(template_path, only)
        # The provisioned heap is never collected again: the forked servers share it copy-on-write.
        gc.collect()
        gc.freeze()
        samples: dict[str, list[dict[str, Any]]] = {t["id"]: [] for t in all_targets}
        # The floor runs before every other run: every ratio divides by it, and one run of the same
        # code varies by +-20 % on a shared machine, so its median needs far more than `runs` samples.
        floor = next(t for t in all_targets if t["id"] == FLOOR)
        for _ in range(runs):
            for target in all_targets:
                if target is not floor:
                    floor_run = _run_once(floor, mock)
                    samples[FLOOR].append(floor_run)
                    run = _run_once(target, mock)
                    # Kept with the run so the report can show each run next to its floor run.
                    run["floor_before_ms"] = floor_run.get("total_ms")
                    samples[target["id"]].append(run)
    floor_totals = [s["total_ms"] for s in samples[FLOOR] if "error" not in s]
    floor_ms = statistics.median(floor_totals)
    http_floor_ms = statistics.median(s["total_ms"] for s in samples[HTTP_FLOOR] if "error" not in s)
    functions = []
    for target in all_targets:
        runs_ok = [s for s in samples[target["id"]] if "error" not in s]
        errors = sorted({s["error"] for s in samples[target["id"]] if "error" in s})
        row: dict[str, Any] = {
            "function": target["id"],
            "handler": target["handler"],
            "memory_mb": target["memory_mb"],
            "runs": len(runs_ok),
            "note": target["note"],
            "errors": errors,
        }
        if runs_ok:
            total = statistics.median(s["total_ms"] for s in runs_ok)
            row.update(
                median_ms=round(total, 1),
                import_ms=round(statistics.median(s["import_ms"] for s in runs_ok), 1),
                first_invoke_ms=round(statistics.median(s["invoke_ms"] for s in runs_ok), 1),
                modules=runs_ok[-1]["modules"],
                invoke_imported=runs_ok[-1]["invoke_imported"],
                boto3=runs_ok[-1]["boto3"],
                ratio=round(total / floor_ms, 2),
                ratio_http_floor=round(total / http_floor_ms, 2),
                status=runs_ok[-1].get("status"),
                batch_failures=runs_ok[-1].get("batch_failures"),
                # Every run, in order, and (for a function) the floor run just before it: how much
                # one run varies, and whether a slow run came in a slow stretch of the machine.
                samples_ms=[round(s["total_ms"], 1) for s in runs_ok],
            )
            if target["id"] != FLOOR:
                row["floor_before_ms"] = [
                    None if s.get("floor_before_ms") is None else round(s["floor_before_ms"], 1)
                    for s in runs_ok
                ]
            row["within_budget"] = target["id"] in (FLOOR, HTTP_FLOOR) or (
                row["ratio"] <= BUDGET_RATIO and not errors
            )
        else:
            row["within_budget"] = False
        functions.append(row)
    return {
        "runs": runs,
        "floor_runs": len(samples[FLOOR]),
        # How much one run of the same code varies on this machine (the noise every ratio carries).
        "floor_p10_ms": round(_percentile(floor_totals, 10), 1),
        "floor_p90_ms": round(_percentile(floor_totals, 90), 1),
        "budget_ratio": BUDGET_RATIO,
        "floor_ms": round(floor_ms, 1),
        "http_floor_ms": round(http_floor_ms, 1),
        "boto3_import_ms": boto3_import_ms(),
        "functions": functions,
    }


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def print_table(report: dict[str, Any]) -> None:
    print(
        f"\nCold start (import + first invocation in a fresh interpreter, median of {report['runs']}, "
        "moto, tracing on); "
        f"floor {report['floor_ms']} ms (median of {report['floor_runs']}; one run: p10 "
        f"{report['floor_p10_ms']}, p90 {report['floor_p90_ms']} ms); "
        f"budget <= {report['budget_ratio']}x floor; "
        f"HTTP floor (+ REST resolver with validation) {report['http_floor_ms']} ms"
    )
    columns = ("MB", "import", "invoke", "total", "x floor", "x http", "boto3")
    print(f"{'function':<46} " + " ".join(f"{c:>7}" for c in columns) + "  result")
    for row in report["functions"]:
        if "median_ms" not in row:
            dashes = " ".join(f"{'-':>7}" for _ in range(6))
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
            f"{row['ratio_http_floor']:>7.2f} {'yes' if row['boto3'] else 'no':>7}  {verdict} {outcome}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--only", help="only functions whose logical id or handler contains this (or one of a,b,...)"
    )
    parser.add_argument("--out", help="write the JSON report here")
    args = parser.parse_args()
    report = measure(Path(args.template), args.runs, args.only)
    print_table(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(row["within_budget"] for row in report["functions"]) else 1


if __name__ == "__main__":
    sys.exit(main())
