"""A catalog table (with gsi1) and a cursor secret in moto, and the env the catalog functions read."""

from __future__ import annotations

import pytest

from tests.integration.catalog.helpers import create_cursor_secret
from tests.integration.conftest import create_service_table

CATALOG_TABLE = "catalog-test"


@pytest.fixture
def catalog_table(aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    table = create_service_table(CATALOG_TABLE, (("gsi1", "gsi1pk", "gsi1sk"),))
    monkeypatch.setenv("TABLE_NAME", table)
    monkeypatch.setenv("CURSOR_SECRET_ARN", create_cursor_secret("catalog-cursor"))
    return table
