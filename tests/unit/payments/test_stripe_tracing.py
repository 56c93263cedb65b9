"""Stripe calls go over `requests`, so the payments adapter traces that library where it uses it."""

from __future__ import annotations

from typing import Any

import pytest
from payments import stripe_gateway


def test_building_the_stripe_client_patches_requests_for_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    patched: list[Any] = []
    monkeypatch.setattr(stripe_gateway.tracer, "patch", lambda modules=None: patched.append(modules))
    stripe_gateway._stripe_client.cache_clear()
    try:
        stripe_gateway._stripe_client("sk_test_probe", None)
    finally:
        stripe_gateway._stripe_client.cache_clear()
    assert patched == [["requests"]]
