"""The users functions share the identity context's moto fixture (both tables, keys, parameter)."""

from __future__ import annotations

from tests.integration.identity.conftest import identity_stack

__all__ = ["identity_stack"]
