"""docs/openapi.json is Powertools' merge of the API functions' resolvers (tools/openapi.py),
complete and up to date."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest

from tools import openapi

#: Every route of CONTRACT §1.
CONTRACT_ROUTES = {
    ("get", "/health"),
    ("post", "/auth/register"),
    ("post", "/auth/login"),
    ("post", "/auth/refresh"),
    ("post", "/auth/logout"),
    ("get", "/.well-known/jwks.json"),
    ("get", "/users/me"),
    ("patch", "/users/me"),
    ("delete", "/users/me"),
    ("get", "/users/{userId}"),
    ("get", "/products"),
    ("get", "/products/{productId}"),
    ("post", "/products"),
    ("patch", "/products/{productId}"),
    ("post", "/orders"),
    ("get", "/orders/{orderId}"),
    ("get", "/orders"),
    ("post", "/orders/{orderId}/cancel"),
    ("post", "/payments/webhook"),
}
CATALOG_AND_ORDERS = {route for route in CONTRACT_ROUTES if route[1].startswith(("/products", "/orders"))}


def shape(path: str) -> str:
    """A path with its parameter names erased: /users/{user_id} and /users/{userId} are one route."""
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.build()


def test_committed_openapi_document_is_up_to_date(document: dict[str, Any]) -> None:
    committed = openapi.OUTPUT.read_text() if openapi.OUTPUT.exists() else ""
    assert committed == openapi.render(document), "docs/openapi.json is stale: run `make openapi`"


def test_every_contract_route_is_documented(document: dict[str, Any]) -> None:
    documented = {(method, shape(path)) for path, ops in document["paths"].items() for method in ops}
    missing = {(m, p) for m, p in CONTRACT_ROUTES if (m, shape(p)) not in documented}
    assert not missing, f"contract routes missing from the API functions: {sorted(missing)}"


def test_every_route_served_by_a_function_module_is_documented(document: dict[str, Any]) -> None:
    names = [f"{path.parent.name}.{path.stem}" for path in openapi.api_files()]
    assert {"catalog.list_products", "orders.place_order", "system.health"} <= set(names)
    documented = {(method, path) for path, ops in document["paths"].items() for method in ops}
    for name in names:
        app = importlib.import_module(name).app
        schema = json.loads(app.get_openapi_json_schema())
        for path, ops in schema["paths"].items():
            for method in ops:
                assert (method, path) in documented, f"{name}: {method.upper()} {path}"


def test_catalog_and_orders_bodies_and_successes_have_pydantic_schemas(document: dict[str, Any]) -> None:
    paths = {shape(p): ops for p, ops in document["paths"].items()}
    for method, path in CATALOG_AND_ORDERS:
        operation = paths[shape(path)][method]
        if method in ("post", "patch") and not path.endswith("/cancel"):
            assert "$ref" in operation["requestBody"]["content"]["application/json"]["schema"], (method, path)
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert successes, (method, path)
        for code in successes:
            assert "$ref" in operation["responses"][code]["content"]["application/json"]["schema"], (
                method,
                path,
            )


def test_protected_routes_declare_bearer_auth_and_public_reads_do_not(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert paths["/orders"]["post"]["security"] == [{"bearerAuth": []}]
    assert paths["/products"]["post"]["security"] == [{"bearerAuth": []}]
    assert "security" not in paths["/products"]["get"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_document_has_the_project_title_and_version(document: dict[str, Any]) -> None:
    assert document["info"]["title"] == "Commerce API"
    assert document["info"]["version"] == openapi.version()
