"""Fixtures for the saga's integration tests: a Stripe stub on a free loopback port, and the saga."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local import stripe_stub as stub_module
from tests.integration.saga_driver import SagaDriver

WEBHOOK_SECRET = "whsec_saga"


@pytest.fixture
def stripe_stub() -> Iterator[stub_module.StripeStub]:
    """The Stripe stub on 127.0.0.1:<free port>, without webhooks (tests post those themselves)."""
    stub = stub_module.start("127.0.0.1", 0)
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture
def saga(aws: None, stripe_stub: stub_module.StripeStub) -> SagaDriver:
    return SagaDriver(stripe_api_base=stripe_stub.url).setup()
