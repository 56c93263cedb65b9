"""A warm Lambda execution environment: one function, one process, many invocations.

Run by path (not as `-m`), so the repository root is not importable from function code. The parent
talks to it over stdin / the original stdout with length-prefixed JSON frames; the function's own
stdout and stderr both go to the log the parent attached as stderr.

argv: <handler> <code path> <layer path>...
"""

from __future__ import annotations

import decimal
import importlib
import json
import os
import struct
import sys
import time
import traceback
from typing import Any, BinaryIO


class LambdaContext:
    def __init__(self, request_id: str, deadline: float) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("LOCAL_FUNCTION_ARN", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext({self.function_name}, {self.aws_request_id})"


def _read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    return json.loads(stream.read(size))


def _write_frame(stream: BinaryIO, message: dict[str, Any]) -> None:
    data = json.dumps(message, default=_default).encode()
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _load_handler(handler: str) -> Any:
    module_name, _, attribute = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise _InitError(_error(exc, "Runtime.ImportModuleError")) from exc
    function = getattr(module, attribute, None)
    if function is None:
        raise _InitError(
            {
                "errorMessage": f"Handler '{attribute}' missing on module '{module_name}'",
                "errorType": "Runtime.HandlerNotFound",
                "stackTrace": [],
            }
        )
    return function


def _run_snapshot_hooks() -> dict[str, float]:
    """What Lambda does for a SnapStart function: after the init (the handler's import), the
    before-snapshot hooks in reverse order of registration; then, in the environment resumed from
    the snapshot, the after-restore hooks in order of registration, before the first invocation.
    https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html"""
    import snapshot_restore_py as hooks

    timings = {}
    for phase, registered, error_type in (
        ("primeMs", list(reversed(hooks.get_before_snapshot())), "Runtime.BeforeSnapshotError"),
        ("restoreMs", list(hooks.get_after_restore()), "Runtime.AfterRestoreError"),
    ):
        started = time.perf_counter()
        for function, args, kwargs in registered:
            try:
                function(*args, **kwargs)
            except Exception as exc:
                raise _InitError(_error(exc, error_type)) from exc
        timings[phase] = (time.perf_counter() - started) * 1000
    return timings


class _InitError(Exception):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload["errorMessage"])
        self.payload = payload


def main() -> None:
    handler_string, code_path, *layer_paths = sys.argv[1:]
    # The import path of a Lambda environment: the function's code first (in place of this script's
    # own folder, which Python put there), the layers last. The project checkout is not on it: the
    # runtime sets LAMBDA_TASK_ROOT, which turns the venv's project .pth off (tools/venv_paths.py).
    sys.path[0] = code_path
    sys.path.extend(layer_paths)

    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() and loggers writing to stdout end up in the function's log
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    requests = sys.stdin.buffer

    started = time.perf_counter()
    snapshot: dict[str, float] = {}
    try:
        handler = _load_handler(handler_string)
        if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
            snapshot = _run_snapshot_hooks()
        init_error = None
    except _InitError as exc:
        handler, init_error = None, exc.payload
        print(json.dumps({"level": "ERROR", "message": "init failed", **init_error}), file=sys.stderr)
    _write_frame(
        channel,
        {"ready": True, "initMs": (time.perf_counter() - started) * 1000, "error": init_error, **snapshot},
    )

    while True:
        request = _read_frame(requests)
        if request is None:
            return
        request_id = request["requestId"]
        context = LambdaContext(request_id, request["deadline"])
        print(f"START RequestId: {request_id} Version: $LATEST", file=sys.stderr, flush=True)
        begun = time.perf_counter()
        if init_error is not None:
            response: dict[str, Any] = {"error": init_error}
        else:
            try:
                result = handler(request["event"], context)
            except Exception as exc:  # noqa: BLE001 - any error is the function's error payload
                response = {"error": _error(exc)}
                print(
                    f"[ERROR] {type(exc).__name__}: {exc}\n{''.join(traceback.format_tb(exc.__traceback__))}",
                    file=sys.stderr,
                )
            else:
                try:
                    json.dumps(result, default=_default)
                    response = {"result": result}
                except (TypeError, ValueError) as exc:
                    response = {"error": _error(exc, "Runtime.MarshalError")}
        elapsed = (time.perf_counter() - begun) * 1000
        print(f"END RequestId: {request_id}", file=sys.stderr)
        print(
            f"REPORT RequestId: {request_id}\tDuration: {elapsed:.2f} ms\t"
            f"Memory Size: {context.memory_limit_in_mb} MB",
            file=sys.stderr,
            flush=True,
        )
        _write_frame(channel, response)


if __name__ == "__main__":
    main()
