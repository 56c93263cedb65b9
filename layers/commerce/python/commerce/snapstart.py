"""Lambda SnapStart: prime everything before the snapshot, refresh what must be unique after restore.

Without SnapStart a function imports lazily and builds on first use (docs/conventions.md). With
it, Lambda runs the init once, when a version is published, and snapshots it; every new execution
environment resumes from that snapshot, so whatever the first call used to load is better loaded
before the snapshot, where nobody waits for it. Lambda says which init this is in
`AWS_LAMBDA_INITIALIZATION_TYPE` (`snap-start`) and runs the hooks registered with the
`snapshot-restore-py` library: before-snapshot hooks after the handler's module is imported, then,
in every restored environment, after-restore hooks before its first invocation.
https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html

`prime()` (the one before-snapshot hook, registered by the shared entry wrapper
`commerce.observability.instrumented`; nothing happens in any other kind of init):
1. module primers (`prime_with`): non-secret configuration such as the token-verification public
   keys (identity.keys) — the only network calls priming makes;
2. the modules of ours imported inside functions (lazy, for cold starts without SnapStart) are
   imported; every `commerce.wiring.Provider` the function imported is built once and each adapter in it is
   asked to `prime()` itself: the botocore session and clients with their service models, SDKs a
   later call imports (Stripe);
3. each client makes, for every operation our code calls on it (read off the source of our
   loaded modules: `.transact_write_items(`, ...), one request with the least valid parameters,
   answered before it is sent by a `before-send` hook: with a canned empty success for the JSON
   protocols (so the response parser runs on the operation's output shape), refused for the
   others. Validation, serialization, endpoint rules, signing, retry handling and the operation's
   shapes are loaded; nothing goes out;
4. every pydantic model of the function's packages and the shared layer is built (they are
   `defer_build`, commerce.model);
5. the entry wrapper's warm-up events (the shared resolver: one synthetic request per route; the
   authorizer: a token with a bad signature) go through the whole handler, Powertools included,
   with every Provider replaced by a stand-in that refuses (no use case runs, no data is read or
   written) and AWS requests refused as in 3.; their answers are discarded and nothing is logged.

`refresh()` (the after-restore hook) restores what a snapshot shares between environments:
Python's `random` generator is reseeded from the OS (ids come from `uuid4`/`secrets`, which read
the OS at every call and are never drawn at init), time-based caches that measured time at init
are dropped (commerce.parameters, module refreshers registered with `refresh_with`), pooled
connections opened before the snapshot are closed (clients reconnect on their next call; their
credentials are the refreshing container credentials Lambda gives SnapStart functions:
https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html#snapstart-credentials), and
Powertools' cold-start flags are set again, so the first invocation after a restore is reported as
the cold start it is. Last, the secrets a first call reads (the cursor HMAC key, the Stripe webhook
secret: registered with `load_after_restore`) are read, in the restored environment and never
before the snapshot, so the first invocation does not wait for Secrets Manager either. https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

INITIALIZATION_TYPE_ENV = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"
PRIMING_CALLER = "snapstart-priming"
#: How long the after-restore hook waits for the secrets it loads (Lambda's limit for the runtime
#: and all after-restore hooks is 10 s: https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html).
LOAD_DEADLINE_SECONDS = 3.0
#: How often the warm-up requests go through the handler: CPython specializes the bytecode a call
#: runs only after it has run a few times, so a path run once is still slower than a warm one.
WARM_UP_ROUNDS = 3

WarmUp = Callable[[], list[dict[str, Any]]]

_primers: list[Callable[[], None]] = []
_refreshers: list[Callable[[], None]] = []
_loaders: list[Callable[[], None]] = []
_warm_ups: list[tuple[Callable[[Any, Any], Any], WarmUp]] = []
_installed: list[bool] = []
#: The shared Powertools Logger and Metrics (commerce.observability hands them over with its warm-up,
#: so this module imports nothing of the layer's at import time and no cycle forms).
_observability: dict[str, Any] = {}
#: What the last `prime()` did (for its log line and the tests).
report: dict[str, Any] = {}


def snapshot_init() -> bool:
    """True when this init is the one Lambda snapshots (SnapStart)."""
    return os.environ.get(INITIALIZATION_TYPE_ENV) == SNAP_START


def _install() -> None:
    if _installed or not snapshot_init():
        return
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    register_before_snapshot(prime)
    register_after_restore(refresh)
    _installed.append(True)


def prime_with(primer: Callable[[], None]) -> Callable[[], None]:
    """Run `primer` before the snapshot (SnapStart only): load non-secret configuration."""
    if snapshot_init():
        _primers.append(primer)
        _install()
    return primer


def refresh_with(refresher: Callable[[], None]) -> Callable[[], None]:
    """Run `refresher` after every restore (SnapStart only): forget what must not be shared."""
    if snapshot_init():
        _refreshers.append(refresher)
        _install()
    return refresher


def load_after_restore(loader: Callable[[], None]) -> Callable[[], None]:
    """Run `loader` in every restored environment before its first invocation (SnapStart only):
    load a secret the first call needs, which must never be in the snapshot. Best effort: a
    failure is logged and the first call reads it as it would without SnapStart, since an
    after-restore hook that raises fails the restore (SnapStartException)."""
    if snapshot_init():
        _loaders.append(loader)
        _install()
    return loader


def warm_up(handler: Callable[[Any, Any], Any], events: WarmUp, *, logger: Any, metrics: Any) -> None:
    """Before the snapshot, send `events()` through `handler` (SnapStart only; see `prime`);
    `logger` and `metrics` are the entry point's, quiet while priming."""
    if snapshot_init():
        _warm_ups.append((handler, events))
        _observability.update(logger=logger, metrics=metrics)
    _install()


# ---- before the snapshot ------------------------------------------------------------------------


class PrimingRefusal(Exception):
    """An AWS request made while priming, refused before it was sent."""


def _refuse_send(**_kwargs: Any) -> None:
    raise PrimingRefusal("SnapStart priming sends no AWS request")


#: Protocols whose every operation parses an empty JSON object as a (memberless) success.
_CANNED_PROTOCOLS = ("json", "rest-json")


class _CannedBody:
    """The `raw` of a canned botocore response: `body` in one chunk."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self.body


_CANNED_ERROR = b'{"__type": "ValidationException", "message": "SnapStart priming"}'


def _answer_send(request: Any, **_kwargs: Any) -> Any:
    """A `before-send` answer while the clients are warmed: an empty success (nothing is sent)."""
    from botocore.awsrequest import AWSResponse

    return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"}, _CannedBody(b"{}"))


def _answer_error(request: Any, **_kwargs: Any) -> Any:
    """A `before-send` answer with a client error (not retried): the client's error parsing and its
    exception classes (`client.exceptions`, built on a client's first error) are loaded too."""
    from botocore.awsrequest import AWSResponse

    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": "ValidationException"}
    return AWSResponse(request.url, 400, headers, _CannedBody(_CANNED_ERROR))


@contextmanager
def _requests_refused() -> Iterator[None]:
    from commerce import aws

    session = aws.session()
    session.register("before-send", _refuse_send, unique_id="commerce-snapstart-refuse")
    clients = list(aws.created_clients().values())
    for client in clients:
        client.meta.events.register("before-send", _refuse_send, unique_id="commerce-snapstart-refuse")
    try:
        yield
    finally:
        session.unregister("before-send", unique_id="commerce-snapstart-refuse")
        for client in aws.created_clients().values():
            client.meta.events.unregister("before-send", unique_id="commerce-snapstart-refuse")


class _StandIn:
    """What every Provider returns during the warm-up requests: any use case refuses."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        from commerce.errors import NotFound

        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise NotFound("SnapStart priming runs no use case.")

        return refuse


@contextmanager
def _quiet() -> Iterator[None]:
    """Nothing priming does reaches the logs or CloudWatch: log records and metrics are formatted
    and written as on a real call (so that path is loaded too), into a buffer that is dropped; an
    unsampled trace (what Lambda gives an unsampled request); restored afterwards."""
    import io
    import uuid
    from contextlib import redirect_stdout

    logger, metrics = _observability["logger"], _observability["metrics"]
    handler = logger.registered_handler
    saved = {name: os.environ.get(name) for name in ("POWERTOOLS_METRICS_DISABLED", "_X_AMZN_TRACE_ID")}
    os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
    os.environ["_X_AMZN_TRACE_ID"] = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
    dropped = io.StringIO()
    stream = handler.setStream(dropped)  # EMF metrics are printed to stdout, log records go to the handler
    try:
        with redirect_stdout(dropped):
            yield
    finally:
        handler.setStream(stream)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        metrics.clear_metrics()


def _adapters(value: Any, depth: int = 0) -> Iterator[Any]:
    """`value` and the objects it holds (a use case's adapters), depth first, ours only."""
    if depth > 3 or value is None or isinstance(value, (str, bytes, int, float, bool, Mapping)):
        return
    yield value
    fields = getattr(value, "__dict__", None) or {}
    for item in fields.values():
        if getattr(type(item), "__module__", "").split(".")[0] in _our_packages():
            yield from _adapters(item, depth + 1)


def _our_packages() -> set[str]:
    handler = os.environ.get("_HANDLER", "")
    return {"commerce", handler.split(".", 1)[0]} - {""}


def _prime_providers() -> list[str]:
    from commerce.wiring import Provider

    primed: list[str] = []
    for provider in Provider.instances():
        try:
            built = provider.build()
        except KeyError:  # its environment is not this function's: a wiring module shares Providers
            continue
        for adapter in _adapters(built):
            prime = getattr(adapter, "prime", None)
            if callable(prime):
                prime()
                primed.append(type(adapter).__name__)
    return primed


def _warm_clients() -> list[str]:
    """For each client, one request per operation our code calls on it (else one that takes no
    parameters), answered or refused before it is sent (see `_answer_send`, `_requests_refused`)."""
    import encodings.idna  # noqa: F401 - urllib3 encodes the host name with it on the first real request

    from botocore import xform_name

    from commerce import aws

    called = _called_names()
    warmed = []
    for name, client in sorted(aws.created_clients().items()):
        model = client.meta.service_model
        operations = [op for op in model.operation_names if xform_name(op) in called]
        if not operations:
            operations = [
                op
                for op in model.operation_names
                if model.operation_model(op).input_shape is None
                or not model.operation_model(op).input_shape.required_members
            ][:1]
        canned = model.protocol in _CANNED_PROTOCOLS
        if canned:  # answered instead of refused, for this client's warm-up only
            client.meta.events.unregister("before-send", unique_id="commerce-snapstart-refuse")
            client.meta.events.register("before-send", _answer_send, unique_id="commerce-snapstart-answer")
        try:
            for operation in operations:
                operation_model = model.operation_model(operation)
                for shape in (operation_model.input_shape, operation_model.output_shape):
                    _resolve_shape(shape, set())
                # Refused, or parameters it would not take: what the call loaded is loaded all the same.
                with suppress(Exception):
                    getattr(client, xform_name(operation))(**_least_parameters(operation_model.input_shape))
                warmed.append(f"{name}:{operation}")
            if canned and operations:  # and one error, as a refused condition or a bad key answers
                client.meta.events.unregister("before-send", unique_id="commerce-snapstart-answer")
                client.meta.events.register(
                    "before-send", _answer_error, unique_id="commerce-snapstart-answer"
                )
                operation_model = model.operation_model(operations[0])
                with suppress(Exception):
                    getattr(client, xform_name(operations[0]))(
                        **_least_parameters(operation_model.input_shape)
                    )
        finally:
            if canned:
                client.meta.events.unregister("before-send", unique_id="commerce-snapstart-answer")
                client.meta.events.register(
                    "before-send", _refuse_send, unique_id="commerce-snapstart-refuse"
                )
    return warmed


def _resolve_shape(shape: Any, seen: set[str]) -> None:
    """Resolve `shape` and everything it holds (botocore builds them on first use and caches them)."""
    if shape is None or shape.name in seen:
        return
    seen.add(shape.name)
    _ = shape.metadata, shape.serialization, shape.required_members
    if shape.type_name == "structure":
        for member in shape.members.values():
            _resolve_shape(member, seen)
    elif shape.type_name == "list":
        _resolve_shape(shape.member, seen)
    elif shape.type_name == "map":
        _resolve_shape(shape.key, seen)
        _resolve_shape(shape.value, seen)


def _least_parameters(shape: Any, depth: int = 0) -> Any:
    """The least value botocore's validation accepts for `shape` (required members only)."""
    if shape is None:
        return {}
    kind, minimum = shape.type_name, int(shape.metadata.get("min", 0))
    if kind == "structure":
        if depth > 8:
            return {}
        return {name: _least_parameters(shape.members[name], depth + 1) for name in shape.required_members}
    if kind == "list":
        return [_least_parameters(shape.member, depth + 1) for _ in range(minimum)]
    if kind == "map":
        return {}
    if kind == "string":
        return shape.enum[0] if shape.enum else "p" * max(1, minimum)
    if kind in ("integer", "long"):
        return max(1, minimum)
    if kind in ("float", "double"):
        return float(max(1, minimum))
    if kind == "boolean":
        return False
    if kind == "blob":
        return b"p" * max(1, minimum)
    if kind == "timestamp":
        import datetime

        return datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    return None


_trees: dict[str, Any] = {}


def _our_trees() -> Iterator[tuple[str, Any]]:
    """(name, syntax tree) of every loaded module of ours (parsed once)."""
    import ast

    ours = _our_packages()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if name.split(".")[0] not in ours or not path or not path.endswith(".py"):
            continue
        if name not in _trees:
            with open(path, encoding="utf-8") as source:
                _trees[name] = ast.parse(source.read())
        yield name, _trees[name]


def _called_names() -> set[str]:
    """Every `x.name(...)` our loaded modules call: the client operations among them get warmed."""
    import ast

    return {
        node.func.attr
        for _, tree in _our_trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def _import_lazy_modules() -> list[str]:
    """Import the modules of ours that our loaded modules import inside functions (kept lazy for
    cold starts without SnapStart), until no new one appears."""
    import ast
    import importlib

    ours = _our_packages()
    imported: list[str] = []
    seen: set[str] = set()
    while True:
        wanted: set[str] = set()
        for name, tree in _our_trees():
            if name in seen:
                continue
            seen.add(name)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    wanted.add(node.module)
                elif isinstance(node, ast.Import):
                    wanted.update(alias.name for alias in node.names)
        new = sorted(m for m in wanted if m.split(".")[0] in ours and m not in sys.modules)
        if not new:
            return imported
        for name in new:
            with suppress(ImportError):
                importlib.import_module(name)
                imported.append(name)
        seen.difference_update(new)


def _build_models() -> int:
    from pydantic import BaseModel

    ours = _our_packages()
    built = 0
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in ours or module is None:
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == name
                and not value.__pydantic_complete__
                and not getattr(value, "__pydantic_generic_metadata__", {}).get("parameters")
            ):
                value.model_rebuild()
                built += 1
    return built


class _PrimingContext:
    """The Lambda context of a warm-up request."""

    def __init__(self) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = PRIMING_CALLER
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _send_warm_ups() -> int:
    from commerce.wiring import Provider

    sent = 0
    with Provider.all_overridden(_StandIn()):
        for _ in range(WARM_UP_ROUNDS):
            for handler, events in _warm_ups:
                for event in events():
                    with suppress(Exception):  # a refusal is an answer; priming goes on
                        handler(event, _PrimingContext())
                    sent += 1
    return sent


#: Modules whose frames are above a traced AWS call or an error our handlers answer: X-Ray records
#: a stack with every exception of a traced call (aws_xray_sdk.core.utils.stacktrace), which reads
#: each frame's source line on its first use. Ours are read too (every loaded module of ours).
_TRACED_FRAMES = (
    "botocore.client",
    "botocore.context",
    "aws_xray_sdk.core.recorder",
    "aws_xray_sdk.core.emitters.udp_emitter",  # logs a segment it could not send, with its stack
    "aws_xray_sdk.core.utils.stacktrace",
    "aws_xray_sdk.ext.botocore.patch",
    "aws_lambda_powertools.event_handler.api_gateway",
    "aws_lambda_powertools.event_handler.middlewares.base",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "aws_lambda_powertools.logging.logger",
    "aws_lambda_powertools.tracing.tracer",
    "aws_lambda_powertools.utilities.batch.base",
)


def _read_source_lines() -> int:
    """Put the source of our loaded modules and of `_TRACED_FRAMES` in `linecache` (what an
    exception's stack, recorded by X-Ray, reads on a first error: ~1 ms of a first call)."""
    import linecache

    ours = _our_packages()
    read = 0
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        if name.split(".")[0] in ours or name in _TRACED_FRAMES:
            read += bool(linecache.getlines(path))
    return read


def prime() -> None:
    """The before-snapshot hook (see the module docstring)."""
    started = time.perf_counter()
    with _quiet():
        for primer in _primers:
            primer()
        lazy = _import_lazy_modules()
        adapters = _prime_providers()
        with _requests_refused():
            clients = _warm_clients()
            models = _build_models()
            warm_ups = _send_warm_ups()
        _trees.clear()  # the sources' syntax trees are not worth a place in the snapshot
        sources = _read_source_lines()
    report.update(
        lazy_imports=lazy,
        adapters=adapters,
        clients=clients,
        models=models,
        source_files=sources,
        warm_ups=warm_ups,
        ms=(time.perf_counter() - started) * 1000,
    )
    logger = _observability["logger"]
    logger.info("primed for the snapshot", extra={"snapstart": {**report, "ms": round(report["ms"], 1)}})


# ---- after restore ------------------------------------------------------------------------------


def refresh() -> None:
    """The after-restore hook (see the module docstring)."""
    import random
    import tempfile

    random.seed()  # from os.urandom: environments resumed from one snapshot must not share a sequence
    tempfile._name_sequence = None  # type: ignore[attr-defined]  # its own Random, seeded at first use
    from commerce import aws, parameters

    parameters.clear()
    aws.close_connections()
    from aws_lambda_powertools.logging import logger as powertools_logger
    from aws_lambda_powertools.metrics.provider import cold_start
    from aws_lambda_powertools.tracing import tracer as powertools_tracer

    powertools_logger.is_cold_start = True
    powertools_tracer.is_cold_start = True
    cold_start.reset_cold_start_flag()
    for refresher in _refreshers:
        refresher()
    _load_secrets()


def _load_secrets() -> None:
    """Run the `load_after_restore` loaders, for at most LOAD_DEADLINE_SECONDS: Lambda gives the
    runtime and every after-restore hook 10 s, and a client's retries could outlast that. A loader
    still running then finishes on its own (or the first call reads the secret itself)."""
    import threading

    loaded: list[str] = []

    def run() -> None:
        for loader in _loaders:
            try:
                loader()
                loaded.append(loader.__qualname__)
            except Exception as exc:  # noqa: BLE001 - the first call reads it instead (load_after_restore)
                logger = _observability.get("logger")
                if logger is not None:
                    logger.warning(
                        "a secret was not loaded after the restore; the first call reads it",
                        extra={"loader": loader.__qualname__, "error": type(exc).__name__},
                    )

    if not _loaders:
        return
    worker = threading.Thread(target=run, name="snapstart-load-after-restore", daemon=True)
    worker.start()
    worker.join(LOAD_DEADLINE_SECONDS)
    report["loaded_after_restore"] = list(loaded)
