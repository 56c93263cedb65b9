"""Authorizer helpers: the bearer scheme and the API-wide resource of the cached policy."""

from __future__ import annotations

import pytest
from identity import authorizer, tokens


def test_policy_resource_covers_every_route_of_the_stage() -> None:
    arn = "arn:aws:execute-api:eu-west-1:111122223333:a1b2c3/prod/POST/orders/123/cancel"
    assert authorizer.api_wildcard(arn) == "arn:aws:execute-api:eu-west-1:111122223333:a1b2c3/prod/*/*"


@pytest.mark.parametrize("arn", ["", "nonsense", "arn:aws:execute-api:r:a:api"])
def test_unexpected_method_arn_is_refused(arn: str) -> None:
    with pytest.raises(tokens.InvalidToken):
        authorizer.api_wildcard(arn)


@pytest.mark.parametrize("value", ["Bearer a.b.c", "bearer a.b.c", "  Bearer   a.b.c "])
def test_bearer_token_is_extracted(value: str) -> None:
    assert authorizer.bearer_token(value) == "a.b.c"


@pytest.mark.parametrize("value", ["", "Bearer", "Bearer   ", "Basic abc", "a.b.c"])
def test_other_schemes_are_refused(value: str) -> None:
    with pytest.raises(tokens.InvalidToken):
        authorizer.bearer_token(value)
