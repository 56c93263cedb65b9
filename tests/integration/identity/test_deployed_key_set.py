"""The signing-key set handed over at deploy time (`SIGNING_KEYS`): a burst of cold starts reads
nothing from Parameter Store (standard throughput: 40 GetParameter calls a second per account and
region), and the parameter is read only for a kid the deployed set does not know."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from commerce.aws import client
from tests.integration.identity.conftest import (
    PARAMETER,
    IdentityStack,
    api_event,
    body_of,
    create_signing_key,
    invoke,
    put_signing_keys,
)
from tests.integration.identity.test_authorizer import assert_denied, good_claims, signed

pytestmark = pytest.mark.usefixtures("live_subjects")


@pytest.fixture
def deployed(identity_stack: IdentityStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The deploy's key set in SIGNING_KEYS; yields the parameter reads the functions make."""
    from identity import keys

    key = identity_stack.signing_key
    monkeypatch.setenv("SIGNING_KEYS", json.dumps({"active": key, "verify": [key]}))
    reads: list[str] = []
    ssm = client("ssm")

    def count(params: dict[str, Any], **_: Any) -> None:
        reads.append(str(params.get("Name")))

    ssm.meta.events.register("provide-client-params.ssm.GetParameter", count)
    keys.reset_caches()
    yield reads
    ssm.meta.events.unregister("provide-client-params.ssm.GetParameter", count)


def test_cold_starts_with_the_deployed_key_set_read_no_parameter(
    identity_stack: IdentityStack, deployed: list[str]
) -> None:
    from identity import keys

    identity_stack.register()
    for _ in range(5):  # five new execution environments
        keys.reset_caches()
        token = identity_stack.login()["accessToken"]
        assert identity_stack.authorize(token)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        jwks = body_of(invoke("identity.jwks", api_event("GET", "/.well-known/jwks.json")))
        assert [k["kid"] for k in jwks["keys"]] == [keys.kid_of(identity_stack.signing_key)]

    assert deployed == []


def test_a_key_a_newer_deploy_added_is_read_from_the_parameter_once(
    identity_stack: IdentityStack, deployed: list[str]
) -> None:
    new_key = create_signing_key()
    put_signing_keys(new_key, [identity_stack.signing_key, new_key])  # the newer deploy's set

    for _ in range(3):
        result = identity_stack.authorize(signed(identity_stack, good_claims(), key=new_key))
        assert result["context"]["userId"] == "user-1"

    assert deployed == [PARAMETER]


def test_a_throttled_parameter_keeps_the_deployed_set_working(
    identity_stack: IdentityStack, deployed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from identity import keys

    def throttled(**_: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetParameter"
        )

    monkeypatch.setattr(keys, "_read_parameter", throttled)
    known = signed(identity_stack, good_claims())
    stranger = signed(identity_stack, good_claims(), key=create_signing_key())

    assert_denied(identity_stack, stranger)  # unknown kid, and the parameter cannot say otherwise
    assert identity_stack.authorize(known)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
