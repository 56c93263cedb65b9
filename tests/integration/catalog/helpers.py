"""API Gateway proxy events and AWS-call counting for the catalog and orders integration tests."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from commerce.aws import client


def api_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    body: Any = None,
    user: str | None = None,
    roles: str = "customer",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event as API Gateway sends it after the token authorizer."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    context: dict[str, Any] = {
        "requestId": str(uuid.uuid4()),
        "stage": "dev",
        "httpMethod": method,
        "resourcePath": resource or path,
        "path": f"/dev{path}",
        "identity": {"sourceIp": "203.0.113.10"},
    }
    if user is not None:
        context["authorizer"] = {"userId": user, "roles": roles, "principalId": user}
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": context,
        "body": raw_body,
        "isBase64Encoded": False,
    }


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


def header(response: dict[str, Any], name: str) -> str | None:
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if key.lower() == name.lower():
            return str(values[0])
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None


@contextmanager
def count_aws_calls() -> Iterator[Counter[str]]:
    """Counts every AWS API call made by any botocore client (operation names) inside the block."""
    from botocore.client import BaseClient

    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls[operation_name] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original


def create_cursor_secret(name: str = "cursor-secret") -> str:
    return str(client("secretsmanager").create_secret(Name=name, SecretString="k" * 32 + name)["ARN"])


def table_items(table_name: str) -> list[dict[str, Any]]:
    """Every item in a table (tests only: a Scan is fine to inspect state)."""
    return list(client("dynamodb").scan(TableName=table_name, ConsistentRead=True)["Items"])
