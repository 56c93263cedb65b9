"""Writes docs/api.md — the API reference — from docs/openapi.json and the synthesized template.

Routes, parameters, bodies and responses come from the OpenAPI document (itself generated from the
functions' pydantic models); whether a route needs a token comes from the template (the methods the
Lambda authorizer guards). Every route gets a curl example. A test fails when docs/api.md is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json"
OPENAPI = ROOT / "docs" / "openapi.json"

#: Request bodies for the curl examples (what a client would really send).
EXAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "POST /auth/register": {"email": "ann@example.com", "password": "correct-horse-battery", "name": "Ann"},
    "POST /auth/login": {"email": "ann@example.com", "password": "correct-horse-battery"},
    "POST /auth/refresh": {"refreshToken": "$REFRESH"},
    "POST /auth/logout": {"refreshToken": "$REFRESH"},
    "PATCH /users/me": {
        "name": "Ann Smith",
        "phone": "+44 20 7946 0000",
        "shippingAddress": {"line1": "1 High St", "city": "London", "postalCode": "N1 9GU", "country": "GB"},
    },
    "POST /products": {
        "name": "Espresso cup",
        "description": "Porcelain, 80 ml",
        "price": {"amount": 1250, "currency": "EUR"},
        "stock": 40,
    },
    "PATCH /products/{productId}": {"price": {"amount": 1100, "currency": "EUR"}},
    "POST /orders": {
        "items": [{"productId": "$PRODUCT_ID", "quantity": 2}],
        "paymentMethodId": "pm_card_visa",
    },
    "POST /payments/webhook": {"id": "evt_123", "type": "payment_intent.succeeded", "data": {"object": {}}},
}
EXTRA_HEADERS = {
    "POST /orders": ["-H \"Idempotency-Key: $(python3 -c 'import uuid; print(uuid.uuid4())')\""],
    "POST /payments/webhook": ['-H "Stripe-Signature: t=...,v1=..."  # computed by Stripe'],
}
BOUNDS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "pattern")
PATH_VALUES = {
    "{productId}": "$PRODUCT_ID",
    "{orderId}": "$ORDER_ID",
    "{userId}": "$USER_ID",
    "{user_id}": "$USER_ID",
}


def protected_routes(template: dict[str, Any]) -> set[str]:
    """'METHOD /path' for every method the Lambda authorizer guards."""
    resources = template["Resources"]

    def path_of(resource_id: str) -> str:
        parts: list[str] = []
        while resource_id in resources:
            props = resources[resource_id]["Properties"]
            parts.append(props["PathPart"])
            parent = props.get("ParentId", {})
            resource_id = parent.get("Ref", "") if isinstance(parent, dict) else ""
        return "/" + "/".join(reversed(parts))

    routes = set()
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::Method":
            props = resource["Properties"]
            if props.get("AuthorizationType") == "CUSTOM" and "Ref" in props.get("ResourceId", {}):
                routes.add(f"{props['HttpMethod']} {path_of(props['ResourceId']['Ref'])}")
    return routes


def _normalise(path: str) -> str:
    return path.replace("{user_id}", "{userId}")


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    kept = "".join(ch for ch in heading.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"] if s.get("type") != "null")
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}))}"
    return str(schema.get("type", "any"))


def _body_table(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    properties = schema.get("properties", {})
    if not properties:
        return []
    required = set(schema.get("required", []))
    rows = ["| field | type | required | notes |", "|---|---|---|---|"]
    for name, prop in properties.items():
        notes = prop.get("description", "")
        present = [f"{k} {prop[k]}" for k in BOUNDS if k in prop]
        rows.append(
            f"| `{name}` | {_type(prop)} | {'yes' if name in required else 'no'} | "
            f"{'; '.join([notes, *present]).strip('; ')} |"
        )
    return rows


def _curl(method: str, path: str, key: str, protected: bool) -> str:
    url_path = path
    for placeholder, value in PATH_VALUES.items():
        url_path = url_path.replace(placeholder, value)
    parts = [f'curl -s -X {method} "${{API}}{url_path.lstrip("/")}"']
    if protected:
        parts.append('-H "Authorization: Bearer $TOKEN"')
    parts.extend(EXTRA_HEADERS.get(key, []))
    if key in EXAMPLE_BODIES:
        parts.append('-H "Content-Type: application/json"')
        body = json.dumps(EXAMPLE_BODIES[key]).replace('"', '\\"')
        parts.append(f'-d "{body}"')  # double quotes, so $PRODUCT_ID and friends expand
    return " \\\n  ".join(parts)


def render(openapi: dict[str, Any], template: dict[str, Any]) -> str:
    protected = protected_routes(template)
    components = openapi.get("components", {}).get("schemas", {})
    lines = [
        "# API reference",
        "",
        "<!-- Generated by `make docs` (tools/api_reference.py) from docs/openapi.json and the synthesized",
        "     template. Do not edit by hand: a test fails when this file is stale. -->",
        "",
        "Base URL: the stack output `ApiUrl` (locally `http://127.0.0.1:3000/`). JSON in and out.",
        "Every error is RFC 9457 `application/problem+json` (`{type,title,status,detail}`, plus",
        "`errors:[{loc,msg}]` for validation). Machine-readable: [openapi.json](openapi.json), also",
        'served as Swagger UI at `GET /swagger` (`${API}swagger`; "Try it out" calls the same API).',
        "",
        "```bash",
        "API=http://127.0.0.1:3000/            # or: jq -r '.\"Commerce-dev\".ApiUrl' outputs.json",
        "TOKEN=...                             # accessToken from POST /auth/login",
        "```",
        "",
        "| route | auth | success |",
        "|---|---|---|",
    ]
    operations = []
    for path, methods in sorted(openapi["paths"].items()):
        for method, operation in methods.items():
            key = f"{method.upper()} {_normalise(path)}"
            is_protected = f"{method.upper()} {path}" in protected or key in protected
            success = next((code for code in operation.get("responses", {}) if code.startswith("2")), "200")
            operations.append((key, method.upper(), path, operation, is_protected, success))
            auth = "bearer" if is_protected else "public"
            lines.append(f"| [`{key}`](#{_anchor(key)}) | {auth} | {success} |")
    for key, method, path, operation, is_protected, _success in operations:
        lines += ["", f"## {key}", ""]
        summary = operation.get("summary")
        if summary and summary != f"{method} {path}":
            lines += [summary + ".", ""]
        lines.append(
            f"Auth: {'`Authorization: Bearer <access token>`' if is_protected else 'none (public)'}."
        )
        params = operation.get("parameters", [])
        if params:
            lines += ["", "| parameter | in | notes |", "|---|---|---|"]
            for param in params:
                lines.append(f"| `{param['name']}` | {param['in']} | {param.get('description', '')} |")
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            table = _body_table(body, components)
            if table:
                lines += ["", "Body:", "", *table]
        lines += ["", "| status | meaning |", "|---|---|"]
        for code, response in sorted(operation.get("responses", {}).items()):
            lines.append(f"| {code} | {response.get('description', '')} |")
        lines += ["", "```bash", _curl(method, path, key, is_protected), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--openapi", type=Path, default=OPENAPI)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "api.md")
    args = parser.parse_args(argv)
    text = render(json.loads(args.openapi.read_text()), json.loads(args.template.read_text()))
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
