"""Loaded by every local-stack worker when local/instrumented.py puts this folder on PYTHONPATH.

Python imports `sitecustomize` at start-up, so this runs before the function's own code. It wraps
botocore's client factory so every AWS client the function creates gets two optional hooks:

- `COMMERCE_CALL_LOG=<dir>`: one JSON line per AWS API call (function, service, operation, HTTP
  status, DynamoDB consumed capacity) appended to `<dir>/<function>.<pid>.jsonl`. DynamoDB calls
  ask for `ReturnConsumedCapacity=TOTAL`. Used by `make bench`.
- `COMMERCE_FAULTS=rate=0.05,seed=1`: before a share `rate` of DynamoDB, SQS and EventBridge
  calls is sent, answer it with a transient error instead (DynamoDB: ThrottlingException or
  ProvisionedThroughputExceededException, HTTP 400; SQS/EventBridge: ServiceUnavailable /
  InternalFailure, HTTP 5xx), exactly what botocore's retry handler and our code must survive.
  Every injected fault is logged to `<COMMERCE_FAULT_LOG>/<function>.<pid>.jsonl`. With
  `COMMERCE_FAULTS_SWITCH=<path>`, faults are injected only while that file exists (a harness
  arms them after its set-up and disarms them before its final checks). Used by `make chaos`.

Nothing here is shipped: the folder exists only on the developer machine's PYTHONPATH for a harness.
"""

from __future__ import annotations

import json
import os
import random
import threading
from typing import Any

FAULT_SERVICES = ("dynamodb", "sqs", "events")
CAPACITY_OPERATIONS = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
}
DYNAMODB_FAULTS = (
    (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    (400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput ..."),
    (500, "InternalServerError", "Internal server error"),
)
OTHER_FAULTS = (
    (503, "ServiceUnavailable", "Service is unavailable"),
    (500, "InternalFailure", "Internal failure"),
)


def _parse(spec: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in spec.split(",") if "=" in part)


class _Log:
    def __init__(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "process")
        self.path = os.path.join(folder, f"{name}.{os.getpid()}.jsonl")
        self.lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, default=str) + "\n"
        with self.lock, open(self.path, "a") as handle:
            handle.write(line)


class _Raw:
    """The minimum of a urllib3 response that botocore's AWSResponse reads."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def _capacity(parsed: dict[str, Any], operation: str, params: dict[str, Any]) -> float | None:
    consumed = parsed.get("ConsumedCapacity")
    if isinstance(consumed, dict):
        return float(consumed.get("CapacityUnits") or 0)
    if isinstance(consumed, list) and consumed:
        return float(sum(c.get("CapacityUnits") or 0 for c in consumed))
    if operation == "TransactWriteItems":
        # moto reports none for transactions; DynamoDB charges 2 WCU per item per KB.
        units = 0.0
        for item in params.get("TransactItems", []):
            body = item.get("Put", {}).get("Item")
            size = len(json.dumps(body)) if body else 0
            units += 2 * max(1, -(-size // 1024))
        return units
    if operation == "TransactGetItems":
        return 2.0 * len(params.get("TransactItems", []))
    return None


def _install() -> None:
    call_dir = os.environ.get("COMMERCE_CALL_LOG")
    faults = _parse(os.environ.get("COMMERCE_FAULTS", ""))
    if not call_dir and not faults:
        return
    import botocore.session
    from botocore.awsrequest import AWSResponse

    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "process")
    calls = _Log(call_dir) if call_dir else None
    fault_log = _Log(os.environ.get("COMMERCE_FAULT_LOG", call_dir or "/tmp/commerce-faults"))  # noqa: S108
    rate = float(faults.get("rate", "0"))
    switch = os.environ.get("COMMERCE_FAULTS_SWITCH")
    rng = random.Random(f"{faults.get('seed', '1')}-{function}-{os.getpid()}")
    original = botocore.session.Session.create_client

    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, service_name, *args, **kwargs)
        events = client.meta.events
        service = client.meta.service_model.endpoint_prefix

        if calls is not None and service == "dynamodb":

            def ask_capacity(params: dict[str, Any], model: Any, **_: Any) -> None:
                if model.name in CAPACITY_OPERATIONS and "ReturnConsumedCapacity" not in params:
                    params["ReturnConsumedCapacity"] = "TOTAL"

            events.register("provide-client-params.dynamodb", ask_capacity)

        if calls is not None:

            def after_call(http_response: Any, parsed: dict[str, Any], model: Any, **kw: Any) -> None:
                params = (kw.get("context") or {}).get("commerce_params") or {}
                status = getattr(http_response, "status_code", None)
                record = {"fn": function, "service": service, "op": model.name, "status": status}
                if service == "dynamodb":
                    record["cu"] = _capacity(parsed, model.name, params)
                calls.write(record)

            def keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
                context["commerce_params"] = params

            events.register("before-parameter-build", keep_params)
            events.register("after-call", after_call)

        if rate > 0 and service in FAULT_SERVICES:

            def inject(request: Any, **kw: Any) -> Any:
                if rng.random() >= rate or (switch and not os.path.exists(switch)):
                    return None
                table = DYNAMODB_FAULTS if service == "dynamodb" else OTHER_FAULTS
                status, code, message = rng.choice(table)
                operation = kw.get("event_name", "").rsplit(".", 1)[-1]
                fault_log.write({"fn": function, "service": service, "op": operation, "fault": code})
                body = json.dumps({"__type": code, "message": f"{message} (injected)"}).encode()
                headers = {
                    "Content-Type": "application/x-amz-json-1.0",
                    "x-amzn-RequestId": "chaos",
                    "x-amzn-query-error": f"{code};Receiver",
                }
                return AWSResponse(request.url, status, headers, _Raw(body))

            events.register(f"before-send.{client.meta.service_model.service_id.hyphenize()}", inject)
        return client

    botocore.session.Session.create_client = create_client


_install()
