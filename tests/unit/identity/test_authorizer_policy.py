"""Authorizer helpers: the bearer scheme and the API-wide resource of the cached policy."""

from __future__ import annotations

import pytest
from identity import authorizer, tokens


def test_policy_resource_covers_every_route_of_the_stage() -> None:
    arn = "arn:aws:execute-api:eu-west-1:111122223333:a1b2c3/prod/POST/orders/123/cancel"
    policy = authorizer.allow_the_stage(arn, "u-1", {"userId": "u-1", "roles": "user"})
    [statement] = policy["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == ["arn:aws:execute-api:eu-west-1:111122223333:a1b2c3/prod/*/*"]
    assert policy["principalId"] == "u-1"
    assert policy["context"] == {"userId": "u-1", "roles": "user"}


@pytest.mark.parametrize(
    "arn", ["", "nonsense", "arn:aws:execute-api:r:a:api", "arn:aws:execute-api:r:a:api/"]
)
def test_unexpected_method_arn_is_refused(arn: str) -> None:
    with pytest.raises(tokens.InvalidToken):
        authorizer.allow_the_stage(arn, "u-1", {})


@pytest.mark.parametrize("value", ["Bearer a.b.c", "bearer a.b.c", "  Bearer   a.b.c "])
def test_bearer_token_is_extracted(value: str) -> None:
    assert authorizer.bearer_token(value) == "a.b.c"


@pytest.mark.parametrize("value", ["", "Bearer", "Bearer   ", "Basic abc", "a.b.c"])
def test_other_schemes_are_refused(value: str) -> None:
    with pytest.raises(tokens.InvalidToken):
        authorizer.bearer_token(value)
