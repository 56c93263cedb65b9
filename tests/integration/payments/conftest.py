"""Fixtures shared by the saga tests: the Stripe stub and the in-process saga."""

from tests.integration.saga_fixtures import saga, stripe_stub  # noqa: F401
