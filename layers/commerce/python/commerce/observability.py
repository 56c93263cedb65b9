"""Powertools Logger, Tracer and Metrics, one of each per process, and the one wrapper every Lambda
entry point wears (`instrumented`).

Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE,
which the CDK function construct sets on every function.

The tracer patches only what our functions call: botocore (every AWS call becomes a subsegment).
Powertools' default, `patch_all()`, imports every library the X-Ray SDK can instrument that happens
to be installed (requests, sqlite3, ...) into every cold start; a function that calls something else
over HTTP patches it where it does (payments patches `requests` for Stripe).

No return value reaches a trace: Powertools' Tracer records what a traced handler or method returns
as X-Ray metadata by default, and ours return tokens, personal data and (GET /swagger) a 1.5 MB page,
which X-Ray's 64 KB segment limit would drop the segment for. So POWERTOOLS_TRACER_CAPTURE_RESPONSE
defaults to false here, for the entry point and every `@tracer.capture_method` (set before any
function module decorates one; a function's environment can still set it, to debug). Exceptions are
still recorded: their messages name ids, as our logs do, never a secret or contact data.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.shared.constants import TRACER_CAPTURE_RESPONSE_ENV

os.environ.setdefault(TRACER_CAPTURE_RESPONSE_ENV, "false")

TRACED_MODULES = ("botocore",)

logger = Logger(log_uncaught_exceptions=True)
tracer = Tracer(patch_modules=TRACED_MODULES)
metrics = Metrics()

_lambda_context: ContextVar[Any] = ContextVar("lambda_context", default=None)

H = TypeVar("H", bound=Callable[..., Any])


def instrumented(
    handler: H,
    *,
    correlation_id_path: str | None = None,
    warm_up: Callable[[], list[dict[str, Any]]] | None = None,
) -> H:
    """`handler` as a Lambda entry point: Logger context (and the correlation id at
    `correlation_id_path`, if given), a traced handler segment, metrics flushed with a cold-start
    metric, and the Lambda context available to adapters through `lambda_context()`.

    When the function initializes for a SnapStart snapshot, the entry point is primed before it
    (commerce.snapstart), with the events `warm_up()` returns sent through it; in any other init
    nothing more happens here.

    HTTP functions get it from `commerce.api.http_handler`, consumers from `commerce.consumer.consumer`."""

    def with_context(event: Any, context: Any) -> Any:
        token = _lambda_context.set(context)
        try:
            return handler(event, context)
        finally:
            _lambda_context.reset(token)

    with_context.__name__ = with_context.__qualname__ = getattr(handler, "__name__", "lambda_handler")
    wrapped = metrics.log_metrics(with_context, capture_cold_start_metric=True)
    wrapped = tracer.capture_lambda_handler(wrapped)
    wrapped = logger.inject_lambda_context(wrapped, correlation_id_path=correlation_id_path)
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
        from commerce import snapstart

        snapstart.warm_up(wrapped, warm_up or list, logger=logger, metrics=metrics)
    return wrapped  # type: ignore[return-value]


def lambda_context() -> Any:
    """The Lambda context of the invocation in progress (None outside one)."""
    return _lambda_context.get()
