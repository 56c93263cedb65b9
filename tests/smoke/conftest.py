"""`make smoke OUTPUTS=<file>`: the end-to-end checks that are safe on a live stack, run against any
stack from the file `cdk deploy --outputs-file` writes (or the local stack's `.local/outputs.json`),
through `ApiUrl` and, when the stack has one, `CdnUrl`.

Safe on a live system: every user, product and order it creates is its own (emails
`smoke+<run>-...@<sender domain>`, products named `[smoke] ...`), and it removes them afterwards —
users through `DELETE /users/me`, products and orders from their tables. It pays with Stripe's
test card `pm_card_visa` (a live-mode key declines it, which the checks accept) and cancels what
it ordered. It needs AWS credentials that may write the identity, users, catalog and orders tables
(its own admin is created with tools/create_admin.py, as the first admin is).

Environment: SMOKE_OUTPUTS (the outputs file), SMOKE_STACK (which stack in it, if several),
SMOKE_SKIP_ORDERS=1 to leave orders (and Stripe) out. The suite is collected only when
SMOKE_OUTPUTS is set, so `make test` runs it through tests/e2e/test_smoke.py against a local stack.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import polling

ROOT = Path(__file__).resolve().parents[2]

if not os.environ.get("SMOKE_OUTPUTS"):
    collect_ignore_glob = ["test_*.py"]


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Api:
    """One way into the stack (ApiUrl or CdnUrl)."""

    name: str
    base_url: str

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.base_url + path.lstrip("/"), data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, dict(exc.headers), exc.read())


def wait_for(check: Callable[[], Any], timeout: float = 60, interval: float = 0.5) -> Any:
    """`tests.polling.wait_for` with a deployed stack's patience (a minute, every half second)."""
    return polling.wait_for(check, timeout, interval)


@dataclass
class Stack:
    outputs: dict[str, Any]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    created_products: list[str] = field(default_factory=list)
    created_orders: list[str] = field(default_factory=list)
    users: list[tuple[Api, str]] = field(default_factory=list)  # (api, access token) to delete

    @property
    def domain(self) -> str:
        identity = str(self.outputs.get("SenderIdentity") or "smoke.commerce.example")
        return identity.rsplit("@", 1)[-1]

    def email(self, who: str) -> str:
        return f"smoke+{self.run_id}-{who}@{self.domain}"

    def dynamodb(self) -> Any:
        from commerce.aws import client

        return client("dynamodb")


def _load_outputs() -> dict[str, Any]:
    path = Path(os.environ["SMOKE_OUTPUTS"])
    outputs: dict[str, dict[str, Any]] = json.loads(path.read_text())
    stack = os.environ.get("SMOKE_STACK") or None
    if stack is None:
        candidates = [name for name, values in outputs.items() if "ApiUrl" in values]
        if len(candidates) != 1:
            raise pytest.UsageError(f"set SMOKE_STACK to one of {sorted(outputs)}")
        stack = candidates[0]
    return outputs[stack]


def _aws_environment(outputs: dict[str, Any]) -> None:
    """Point the SDK at the stack: the local stand-in (AwsEndpoint) or the stack's region."""
    if outputs.get("AwsEndpoint"):
        os.environ["AWS_ENDPOINT_URL"] = str(outputs["AwsEndpoint"])
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = "us-east-1"
        return
    match = re.match(r"arn:[^:]+:sns:([^:]+):", str(outputs.get("AlarmTopicArn", "")))
    if match and not os.environ.get("AWS_REGION"):
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = match.group(1)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    outputs = _load_outputs()
    _aws_environment(outputs)
    smoke = Stack(outputs)
    yield smoke
    _clean_up(smoke)


def _entrances(outputs: dict[str, Any]) -> list[Api]:
    found: list[Api] = []
    for name in ("ApiUrl", "CdnUrl"):
        url = outputs.get(name)
        if url and all(api.base_url != url for api in found):
            found.append(Api(name, str(url) if str(url).endswith("/") else f"{url}/"))
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "api" in metafunc.fixturenames:
        apis = _entrances(_load_outputs())
        metafunc.parametrize("api", apis, ids=[a.name for a in apis], scope="session")


@pytest.fixture(scope="session")
def admin_token(stack: Stack) -> str:
    """A fresh admin of this run (created like the first admin), deleted at the end."""
    from tools.create_admin import create_admin

    email, password = stack.email("admin"), secrets.token_urlsafe(18)
    create_admin(stack.outputs, email, password, "Smoke admin")
    api = _entrances(stack.outputs)[0]
    response = api.request("POST", "/auth/login", {"email": email, "password": password})
    assert response.status == 200, response.body
    token = str(response.json()["accessToken"])
    stack.users.append((api, token))
    return token


def new_user(stack: Stack, api: Api, who: str) -> tuple[str, str]:
    """(email, access token) of a user registered for this test; deleted at the end."""
    email, password = stack.email(f"{who}-{uuid.uuid4().hex[:6]}"), secrets.token_urlsafe(18)
    registered = api.request(
        "POST", "/auth/register", {"email": email, "password": password, "name": "Smoke"}
    )
    assert registered.status == 201, registered.body
    login = api.request("POST", "/auth/login", {"email": email, "password": password})
    assert login.status == 200, login.body
    token = str(login.json()["accessToken"])
    stack.users.append((api, token))
    return email, token


def _clean_up(stack: Stack) -> None:
    problems = []
    ddb = stack.dynamodb() if (stack.created_products or stack.created_orders) else None
    for product_id in stack.created_products:
        assert ddb is not None
        ddb.delete_item(
            TableName=stack.outputs["CatalogTableName"],
            Key={"pk": {"S": f"PRODUCT#{product_id}"}, "sk": {"S": "PRODUCT"}},
        )
    for order_id in stack.created_orders:
        assert ddb is not None
        ddb.delete_item(
            TableName=stack.outputs["OrdersTableName"],
            Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}},
        )
    for api, token in reversed(stack.users):  # the admin last: it was created first
        deleted = api.request("DELETE", "/users/me", token=token)
        if deleted.status not in (204, 401):  # 401: deleted already by the test itself
            problems.append(f"DELETE /users/me answered {deleted.status}")
    if problems:
        raise AssertionError("; ".join(problems))
