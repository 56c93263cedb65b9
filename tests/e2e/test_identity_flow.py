"""Identity over HTTP through the running local stack and its real token authorizer: register,
login, /users/me, refresh rotation and reuse, logout, the seeded admin, and UserRegistered on the bus."""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import LocalStackProcess
from tests.polling import wait_for

pytestmark = pytest.mark.e2e

ADMIN_EMAIL = os.environ.get("DEV_ADMIN_EMAIL", "admin@example.com")
ADMIN_PASSWORD = os.environ.get("DEV_ADMIN_PASSWORD", "admin-password-123")
PASSWORD = "correct-horse-battery"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@Example.com"


def register_and_login(stack: LocalStackProcess, email: str) -> tuple[str, dict[str, Any]]:
    status, user = stack.json("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "E2E"})
    assert status == 201, (user, stack.log_tail())
    status, pair = stack.json("POST", "/auth/login", {"email": email, "password": PASSWORD})
    assert status == 200, pair
    return str(user["userId"]), pair


def test_register_login_me_refresh_reuse_logout(local_stack: LocalStackProcess) -> None:
    email = new_email()
    user_id, pair = register_and_login(local_stack, email)

    status, profile = local_stack.json("GET", "/users/me", headers=bearer(pair["accessToken"]))
    assert status == 200, profile
    assert profile["userId"] == user_id
    assert profile["email"] == email
    assert profile["roles"] == ["user"]

    status, rotated = local_stack.json("POST", "/auth/refresh", {"refreshToken": pair["refreshToken"]})
    assert status == 200
    assert rotated["refreshToken"] != pair["refreshToken"]
    assert local_stack.json("GET", "/users/me", headers=bearer(rotated["accessToken"]))[0] == 200

    status, problem = local_stack.json("POST", "/auth/refresh", {"refreshToken": pair["refreshToken"]})
    assert status == 401
    assert problem["status"] == 401
    assert local_stack.json("POST", "/auth/refresh", {"refreshToken": rotated["refreshToken"]})[0] == 401

    status, session = local_stack.json("POST", "/auth/login", {"email": email.upper(), "password": PASSWORD})
    assert status == 200
    status, _, body = local_stack.request("POST", "/auth/logout", {"refreshToken": session["refreshToken"]})
    assert (status, body) == (204, b"")
    assert local_stack.json("POST", "/auth/refresh", {"refreshToken": session["refreshToken"]})[0] == 401


def test_duplicate_email_in_another_case_is_409(local_stack: LocalStackProcess) -> None:
    email = new_email()
    register_and_login(local_stack, email)

    status, problem = local_stack.json(
        "POST", "/auth/register", {"email": email.lower(), "password": PASSWORD, "name": "X"}
    )

    assert status == 409
    assert problem["status"] == 409


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "Basic YTpi"],
)
def test_protected_route_without_a_valid_token_is_401_problem(
    local_stack: LocalStackProcess, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    status, response_headers, body = local_stack.request("GET", "/users/me", headers=headers)

    assert status == 401
    assert response_headers.get("Content-Type", "").startswith("application/problem+json")
    assert json.loads(body)["status"] == 401


@pytest.mark.parametrize("scheme", ["bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive(local_stack: LocalStackProcess, scheme: str) -> None:
    # RFC 9110 §11.1: the gateway's token check must not refuse what the authorizer accepts.
    user_id, pair = register_and_login(local_stack, new_email())

    status, profile = local_stack.json(
        "GET", "/users/me", headers={"Authorization": f"{scheme} {pair['accessToken']}"}
    )

    assert status == 200, profile
    assert profile["userId"] == user_id


def test_roles_cannot_be_self_assigned(local_stack: LocalStackProcess) -> None:
    _, pair = register_and_login(local_stack, new_email())

    status, _ = local_stack.json(
        "PATCH", "/users/me", {"roles": ["admin"]}, headers=bearer(pair["accessToken"])
    )

    assert status == 422
    assert local_stack.json("GET", "/users/me", headers=bearer(pair["accessToken"]))[1]["roles"] == ["user"]


def test_seeded_admin_reads_profiles_and_customers_cannot(local_stack: LocalStackProcess) -> None:
    def admin_login() -> dict[str, Any] | None:
        status, body = local_stack.json(
            "POST", "/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        return body if status == 200 else None

    admin = wait_for(admin_login, timeout=60, interval=0.5)
    assert admin, f"the seeded admin cannot log in\n{local_stack.log_tail()}"
    user_id, pair = register_and_login(local_stack, new_email())

    status, profile = local_stack.json("GET", f"/users/{user_id}", headers=bearer(admin["accessToken"]))
    assert status == 200
    assert profile["userId"] == user_id
    assert local_stack.json("GET", f"/users/{user_id}", headers=bearer(pair["accessToken"]))[0] == 403
    assert local_stack.json("GET", f"/users/{uuid.uuid4()}", headers=bearer(admin["accessToken"]))[0] == 404


def test_jwks_lists_the_key_that_signs_tokens(local_stack: LocalStackProcess) -> None:
    _, pair = register_and_login(local_stack, new_email())

    status, _, body = local_stack.request("GET", "/.well-known/jwks.json")

    assert status == 200
    kids = {key["kid"] for key in json.loads(body)["keys"]}
    header = json.loads(base64.urlsafe_b64decode(pair["accessToken"].split(".")[0] + "==").decode())
    assert header["kid"] in kids


def test_delete_me_ends_the_account(local_stack: LocalStackProcess) -> None:
    email = new_email()
    _, pair = register_and_login(local_stack, email)

    status, _, _ = local_stack.request("DELETE", "/users/me", headers=bearer(pair["accessToken"]))

    assert status == 204
    assert local_stack.json("POST", "/auth/login", {"email": email, "password": PASSWORD})[0] == 401
    assert local_stack.json("POST", "/auth/refresh", {"refreshToken": pair["refreshToken"]})[0] == 401
    assert local_stack.json("GET", "/users/me", headers=bearer(pair["accessToken"]))[0] == 401


def test_user_registered_reaches_the_bus_without_the_email(local_stack: LocalStackProcess) -> None:
    bus = local_stack.outputs["EventBusName"]
    sqs, events = local_stack.client("sqs"), local_stack.client("events")
    name = f"capture-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"detail-type": ["UserRegistered"]}))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "capture", "Arn": queue_arn}])
    email = new_email()
    user_id, _ = register_and_login(local_stack, email)

    def mine() -> dict[str, Any] | None:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            event = json.loads(message["Body"])
            if event["detail"]["data"]["userId"] == user_id:
                return dict(event)
        return None

    event = wait_for(mine, timeout=30, interval=0.2)
    assert event, local_stack.log_tail()
    assert event["source"] == "commerce.identity"
    assert email.lower() not in json.dumps(event).lower()
    assert event["detail"]["data"]["contact"]
