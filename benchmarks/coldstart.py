"""Cold start of every function in the synthesized template, next to a floor measured in the same run.

    python -m benchmarks.coldstart [--runs 5] [--only orders] [--out coldstart.json]

One process starts in-process moto (`mock_aws`) and provisions the template's resources into it with
the local stack's own provisioner, so every table, queue, bus, key, secret and parameter a function
names exists. Then, for each run and each function, it forks a child (a fresh process that has not
imported any function, Powertools or commerce code), which sets the function's environment exactly
as the template resolves it (plus the variables Lambda sets; tracing ON, no X-Ray daemon), and times

    import <service>.<module>  +  lambda_handler(<events/service.module.json>, context)

Work moved from import into the first invocation still counts. The floor is
benchmarks/floor_handler.py (Powertools Logger, Tracer, Metrics and one boto3 client, one event).
Runs are interleaved (floor, f1, f2, ... per round) so machine noise hits every function alike; the
median of the runs is reported. Budget: every function <= BUDGET_RATIO x floor.

Note: boto3/botocore/moto are already imported in the parent (moto needs them before the timer), so
both the floor and the functions start with them loaded; `boto3_import_ms` (measured in a clean
interpreter) is reported separately and is the same constant for every function.
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


def _lambda_env(name: str, memory_mb: int, environment: dict[str, str], handler: str) -> dict[str, str]:
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
            "_HANDLER": handler,
            # Tracing on, as deployed; there is no daemon, so a missing context must not raise.
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "_X_AMZN_TRACE_ID": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
            f"Parent={uuid.uuid4().hex[:16]};Sampled=1",
        }
    )
    return env


def _child(target: dict[str, Any], write_fd: int) -> None:
    """In the forked child: set the environment, then time import + first invocation."""
    watched = ("aws_lambda_powertools", "commerce", "pydantic", "jwt", "stripe")
    leaked = [m for m in watched if m in sys.modules]
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.environ.pop("POWERTOOLS_TRACE_DISABLED", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(target["env"])
    sys.path.insert(0, target["code_path"])
    sys.path.extend(target["layer_paths"])
    module_name, _, attribute = target["handler"].rpartition(".")
    outcome: dict[str, Any] = {"leaked": leaked}
    started = time.perf_counter()
    imported = None
    try:
        module = importlib.import_module(module_name)
        imported = time.perf_counter()
        result = getattr(module, attribute)(target["event"], Context(target["name"], target["memory_mb"]))
        finished = time.perf_counter()
        outcome.update(
            import_ms=(imported - started) * 1000,
            total_ms=(finished - started) * 1000,
            status=result.get("statusCode") if isinstance(result, dict) else None,
            batch_failures=len(result.get("batchItemFailures") or [])
            if isinstance(result, dict) and "batchItemFailures" in result
            else None,
        )
    except BaseException as exc:  # noqa: BLE001 - reported, the run is not counted
        finished = time.perf_counter()
        message = f"{type(exc).__name__}: {str(exc)[:200]}"
        outcome["total_ms"] = (finished - started) * 1000
        if message == AUTHORIZER_DENY and imported is not None:
            outcome.update(import_ms=(imported - started) * 1000, status="deny")
        else:
            outcome["error"] = message
    os.write(write_fd, json.dumps(outcome, default=str).encode())
    os.close(write_fd)
    os._exit(0)


def _run_once(target: dict[str, Any]) -> dict[str, Any]:
    # The parent's heap (moto, botocore models) is frozen out of the collector; otherwise every
    # collection in the child would walk it and charge the function for the harness's memory.
    gc.collect()
    gc.freeze()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        os.close(read_fd)
        try:
            _child(target, write_fd)
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
            "environment": {"POWERTOOLS_SERVICE_NAME": "floor", "POWERTOOLS_METRICS_NAMESPACE": "Commerce"},
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
            target["name"], target["memory_mb"], target["environment"], target["handler"]
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
        leaked = sorted({m for s in samples[target["id"]] for m in s.get("leaked", [])})
        row: dict[str, Any] = {
            "function": target["id"],
            "handler": target["handler"],
            "memory_mb": target["memory_mb"],
            "runs": len(runs_ok),
            "note": target["note"],
            "errors": errors,
            "preimported_in_parent": leaked,
        }
        if runs_ok:
            total = statistics.median(s["total_ms"] for s in runs_ok)
            row.update(
                median_ms=round(total, 1),
                import_ms=round(statistics.median(s["import_ms"] for s in runs_ok), 1),
                first_invoke_ms=round(statistics.median(s["total_ms"] - s["import_ms"] for s in runs_ok), 1),
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
