"""Webhook verification (payments.stripe_gateway.verify_webhook), property-based: whatever the
header and the body, the outcome is a provider event or a 400 domain error — never anything else."""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payments.domain import BadSignature, NotAProviderEvent
from payments.stripe_gateway import verify_webhook

from commerce.errors import MalformedRequest
from local.stripe_stub import sign

SECRET = "whsec_test"
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def outcome(payload: str, signature: str | None) -> Any:
    try:
        return verify_webhook(payload, signature, secret=SECRET)
    except MalformedRequest as refused:
        return refused


@PROPERTY
@given(st.text(max_size=200), st.one_of(st.none(), st.text(max_size=200)))
def test_any_header_and_body_unsigned_is_a_bad_signature(payload: str, signature: str | None) -> None:
    assert isinstance(outcome(payload, signature), BadSignature)


@PROPERTY
@given(json_values)
def test_any_signed_json_is_an_event_or_not_a_provider_event(document: Any) -> None:
    payload = json.dumps(document)
    result = outcome(payload, sign(payload, SECRET))
    assert not isinstance(result, BadSignature)
    if isinstance(result, NotAProviderEvent):
        return
    assert isinstance(document, dict)
    assert result.event_id == document["id"]


@PROPERTY
@given(st.integers(min_value=-(10**10), max_value=10**10))
def test_the_tolerance_is_five_minutes_either_way(offset: int) -> None:
    payload = '{"id":"evt_1","object":"event","type":"x","data":{"object":{}}}'
    result = outcome(payload, sign(payload, SECRET, timestamp=max(0, int(time.time()) + offset)))
    if abs(offset) > 302:
        assert isinstance(result, BadSignature)
    elif abs(offset) < 298:
        assert result.event_id == "evt_1"
