"""Warm worker processes: environment, context, reuse, errors, timeouts, recycling, scale-out."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from local.functions import FunctionSpec
from local.runtime import Runtime
from tests.unit.local.sample import FIXTURES


def _spec(
    handler: str, code: Path = FIXTURES / "functions", timeout: float = 10, name: str = "fn"
) -> FunctionSpec:
    return FunctionSpec(
        logical_id=name,
        name=f"Stack-{name}-ABC",
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:Stack-{name}-ABC",
        handler=handler,
        runtime="python3.13",
        memory_mb=512,
        timeout_s=timeout,
        environment={"TABLE_NAME": "orders-table"},
        code_path=str(code),
        layer_paths=[str(FIXTURES / "layer" / "python")],
    )


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    rt = Runtime({}, "http://127.0.0.1:1", tmp_path / "logs", max_workers=3).start()
    yield rt
    rt.stop()


def _body(result: object) -> dict:
    import json

    assert isinstance(result, dict)
    return dict(json.loads(result["body"]))


def test_worker_gets_lambda_environment_context_and_layer(runtime: Runtime, tmp_path: Path) -> None:
    spec = _spec("fixture.echo.lambda_handler", name="Echo")
    result = runtime.invoke(spec, {"path": "/x"})
    assert result.ok, result.error
    assert result.cold_start
    body = _body(result.payload)
    assert body["env"]["TABLE_NAME"] == "orders-table"
    assert body["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "Stack-Echo-ABC"
    assert body["env"]["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert body["env"]["AWS_REGION"] == "us-east-1"
    assert body["env"]["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert body["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert body["context"]["function_name"] == "Stack-Echo-ABC"
    assert body["context"]["invoked_function_arn"] == spec.arn
    assert body["context"]["aws_request_id"] == result.request_id
    assert body["context"]["log_group_name"] == "/aws/lambda/Stack-Echo-ABC"
    assert 9000 < body["context"]["remaining_ms"] <= 10000
    assert body["layer"] == "hello from the layer"
    # the function's own output goes to its log file, not to the protocol channel
    log_file = tmp_path / "logs" / "Echo.log"
    deadline = time.monotonic() + 5
    while '"message": "echo"' not in log_file.read_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert '"message": "echo"' in log_file.read_text()


def test_worker_stays_warm_between_invocations(runtime: Runtime) -> None:
    spec = _spec("fixture.echo.lambda_handler")
    first = _body(runtime.invoke(spec, {}).payload)
    second_result = runtime.invoke(spec, {})
    second = _body(second_result.payload)
    assert not second_result.cold_start
    assert second["pid"] == first["pid"]
    assert second["invocations"] == first["invocations"] + 1


def test_function_error_returns_a_lambda_error_payload(runtime: Runtime) -> None:
    result = runtime.invoke(_spec("fixture.misbehave.fail"), {})
    assert not result.ok
    assert result.error is not None
    assert result.error["errorType"] == "ValueError"
    assert result.error["errorMessage"] == "this function always fails"
    assert isinstance(result.error["stackTrace"], list)


def test_missing_handler_is_an_import_error(runtime: Runtime) -> None:
    result = runtime.invoke(_spec("fixture.nothere.lambda_handler"), {})
    assert result.error is not None
    assert result.error["errorType"] == "Runtime.ImportModuleError"


def test_timeout_kills_the_worker(runtime: Runtime) -> None:
    spec = _spec("fixture.misbehave.nap", timeout=0.5)
    started = time.monotonic()
    result = runtime.invoke(spec, {"seconds": 5})
    assert time.monotonic() - started < 3
    assert result.error is not None
    assert result.error["errorType"] == "Sandbox.Timedout"
    quick = runtime.invoke(spec, {"seconds": 0})
    assert quick.ok
    assert quick.cold_start  # a fresh worker replaced the killed one


def test_code_edits_recycle_the_worker(runtime: Runtime, tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(FIXTURES / "functions", code)
    spec = _spec("fixture.echo.lambda_handler", code=code)
    assert runtime.invoke(spec, {}).ok
    module = code / "fixture" / "echo.py"
    module.write_text(module.read_text().replace('"statusCode": 200', '"statusCode": 299'))
    runtime.watcher.scan_now()
    result = runtime.invoke(spec, {})
    assert result.cold_start
    assert isinstance(result.payload, dict)
    assert result.payload["statusCode"] == 299


def test_concurrent_invocations_scale_out_to_the_pool_limit(runtime: Runtime) -> None:
    spec = _spec("fixture.misbehave.nap")
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: runtime.invoke(spec, {"seconds": 0.3}), range(6)))
    assert all(r.ok for r in results)
    pids = {r.payload["pid"] for r in results if isinstance(r.payload, dict)}
    assert 2 <= len(pids) <= 3
