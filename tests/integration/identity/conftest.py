"""The identity context in moto, provisioned like cdk/services/identity.py provisions it:
the identity and users tables, an ECC_NIST_P256 signing key, the symmetric contact key and the
signing-keys SSM parameter; plus helpers that call the real handlers with API Gateway events."""

from __future__ import annotations

import base64
import copy
import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from commerce.aws import client
from tests.conftest import FakeLambdaContext, load_event
from tests.integration.catalog.helpers import body_of
from tests.integration.conftest import create_service_table

IDENTITY_TABLE = "identity-test"
USERS_TABLE = "users-test"
PARAMETER = "/commerce/test/identity/signing-keys"
ISSUER = "https://commerce.example/test"
AUDIENCE = "commerce-api"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/test/GET/users/me"
PASSWORD = "correct-horse-battery"


def create_signing_key() -> str:
    return str(
        client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    )


def put_signing_keys(active: str, verify: list[str]) -> None:
    client("ssm").put_parameter(
        Name=PARAMETER, Value=json.dumps({"active": active, "verify": verify}), Type="String", Overwrite=True
    )


def api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    resource: str | None = None,
    user: tuple[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """An API Gateway proxy event shaped like events/system.health.json."""
    event = copy.deepcopy(load_event("system.health.json"))
    event.update(
        {"resource": resource or path, "path": path, "httpMethod": method, "pathParameters": path_parameters}
    )
    event["requestContext"].update(
        {"httpMethod": method, "resourcePath": resource or path, "path": "/test" + path}
    )
    if body is not None or raw_body is not None:
        event["body"] = raw_body if raw_body is not None else json.dumps(body)
        event["headers"]["Content-Type"] = "application/json"
        event["multiValueHeaders"]["Content-Type"] = ["application/json"]
    if user is not None:
        event["requestContext"]["authorizer"] = {"principalId": user[0], "userId": user[0], "roles": user[1]}
    return event


def invoke(module: str, event: dict[str, Any]) -> dict[str, Any]:
    handler = importlib.import_module(module).lambda_handler
    return dict(handler(event, FakeLambdaContext()))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def decode(part: str) -> dict[str, Any]:
        return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))

    header_part, payload_part, _ = token.split(".")
    return decode(header_part), decode(payload_part)


@dataclass
class IdentityStack:
    signing_key: str
    contact_key: str

    def register(
        self, email: str = "ada@example.com", password: str = PASSWORD, name: str = "Ada"
    ) -> dict[str, Any]:
        response = invoke(
            "identity.register",
            api_event("POST", "/auth/register", {"email": email, "password": password, "name": name}),
        )
        assert response["statusCode"] == 201, response
        return dict(body_of(response))

    def login_response(self, email: str = "ada@example.com", password: str = PASSWORD) -> dict[str, Any]:
        return invoke(
            "identity.login", api_event("POST", "/auth/login", {"email": email, "password": password})
        )

    def login(self, email: str = "ada@example.com", password: str = PASSWORD) -> dict[str, Any]:
        response = self.login_response(email, password)
        assert response["statusCode"] == 200, response
        return dict(body_of(response))

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return invoke("identity.refresh", api_event("POST", "/auth/refresh", {"refreshToken": refresh_token}))

    def logout(self, refresh_token: str) -> dict[str, Any]:
        return invoke("identity.logout", api_event("POST", "/auth/logout", {"refreshToken": refresh_token}))

    def authorize(self, token: str, method_arn: str = METHOD_ARN) -> dict[str, Any]:
        from identity import authorizer

        event = {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": method_arn}
        return dict(authorizer.lambda_handler(event, FakeLambdaContext()))

    def user_for(self, access_token: str) -> tuple[str, str]:
        """(userId, roles) the way the authorizer hands them to a protected handler."""
        context = self.authorize(access_token)["context"]
        return str(context["userId"]), str(context["roles"])


@pytest.fixture
def identity_stack(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[IdentityStack]:
    from identity import authorizer, keys

    create_service_table(IDENTITY_TABLE)
    create_service_table(USERS_TABLE)
    signing_key = create_signing_key()
    contact_key = str(client("kms").create_key(Description="contact")["KeyMetadata"]["KeyId"])
    put_signing_keys(signing_key, [signing_key])
    for name, value in {
        "IDENTITY_TABLE_NAME": IDENTITY_TABLE,
        "USERS_TABLE_NAME": USERS_TABLE,
        "SIGNING_KEYS_PARAMETER": PARAMETER,
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "CONTACT_KEY_ID": contact_key,
    }.items():
        monkeypatch.setenv(name, value)
    keys.reset_caches()
    authorizer._settings.clear()
    yield IdentityStack(signing_key=signing_key, contact_key=contact_key)
    keys.reset_caches()
    authorizer._settings.clear()


#: The users hand-signed test tokens name (`sub`).
SUBJECTS = ("user-1", "u-42", "a", "b", "c")


def put_credential(user_id: str, **attributes: Any) -> None:
    from commerce.identity_table import credential_key
    from commerce.items import to_attribute_values

    item = {**credential_key(user_id), "userId": user_id, "email": f"{user_id}@example.com", **attributes}
    client("dynamodb").put_item(TableName=IDENTITY_TABLE, Item=to_attribute_values(item))


@pytest.fixture
def live_subjects(identity_stack: IdentityStack) -> None:
    """Credentials for `SUBJECTS`: the authorizer honours tokens of live accounts only."""
    for user_id in SUBJECTS:
        put_credential(user_id, roles=["user"])
