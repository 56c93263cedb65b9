"""Writes docs/api.md — the API reference — from docs/openapi.json and the synthesized template.

Routes, parameters (with the bounds the server enforces), bodies and every status an operation can
answer come from the OpenAPI document (itself generated from the functions' pydantic models and
routes, and checked against what the server can answer by tests/infra/test_openapi_statuses.py);
whether a route needs a token comes from the template (the methods the Lambda authorizer guards).

Every route has a curl example, and the examples are one session a reader can paste in order
against `make dev`: each sets the variables the later ones use (`TOKEN`, `REFRESH`, `USER_ID`,
`PRODUCT_ID`, `ORDER_ID`, ...), and says what it prints where that is certain. They are marked
`doc: local`, so `make test` runs them (tools/doc_commands.py); routes come in that order
(`TOUR`), any route the tour does not know after them. A test fails when docs/api.md is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json"
OPENAPI = ROOT / "docs" / "openapi.json"
BOUNDS = (
    "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minItems", "maxItems", "pattern", "default",
)  # fmt: skip
LOCAL = "<!-- doc: local -->"


@dataclass(frozen=True)
class Example:
    """How a route's curl example is written: what goes before the curl, around it and after it."""

    body: Any = None
    headers: tuple[str, ...] = ()
    query: str = ""
    admin: bool = False  # the admin's token instead of the reader's
    path: dict[str, str] | None = None  # placeholder → shell value
    assign: str = ""  # VAR=$(curl ...)
    pipe: str = ""  # curl ... | <pipe>
    prints: str = ""  # what the curl line (or its pipe) prints
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    note: str = ""  # a sentence before the block


PATH_VALUES = {
    "{productId}": "$PRODUCT_ID",
    "{orderId}": "$ORDER_ID",
    "{userId}": "$USER_ID",
    "{user_id}": "$USER_ID",
}
SAGA_WAIT = (
    "for i in $(seq 30); do                       # the saga runs asynchronously",
    '  STATUS=$(curl -s "${API}orders/$ORDER_ID" -H "Authorization: Bearer $TOKEN" | jq -r .status)',
    '  [ "$STATUS" != PENDING ] && break; sleep 1',
    "done",
    "echo $STATUS                                    # prints: CONFIRMED",
)
WEBHOOK_BODY = (
    '{"id":"evt_api_reference","object":"event","type":"charge.refunded",'
    '"data":{"object":{"id":"ch_api_reference","object":"charge","payment_intent":"pi_api_reference",'
    '"metadata":{"orderId":"\'"$ORDER_ID"\'"}}}}'
)

#: The routes in the order a reader would try them, each with its example.
TOUR: dict[str, Example] = {
    "GET /health": Example(prints='{"status":"ok","version":"<version>"}'),
    "GET /.well-known/jwks.json": Example(pipe="jq -r '.keys[0].alg'", prints="ES256"),
    "POST /auth/register": Example(
        body={"email": "bea@example.com", "password": "correct-horse-battery", "name": "Bea"},
        assign="REGISTERED",
        after=(
            'echo "$REGISTERED"                            '
            '# prints: {"userId":"...","email":"bea@example.com","name":"Bea"}',
            'USER_ID=$(jq -r .userId <<<"$REGISTERED")',
        ),
    ),
    "POST /auth/login": Example(
        body={"email": "bea@example.com", "password": "correct-horse-battery"},
        assign="LOGIN",
        after=(
            'jq -r .tokenType <<<"$LOGIN"                   # prints: Bearer',
            'TOKEN=$(jq -r .accessToken <<<"$LOGIN") REFRESH=$(jq -r .refreshToken <<<"$LOGIN")',
            "# the admin routes take an admin's token: locally the admin `make dev` seeds",
            'ADMIN_TOKEN=$(curl -s -X POST "${API}auth/login" -H "Content-Type: application/json" \\',
            '  -d \'{"email": "admin@example.com", "password": "admin-password-123"}\' | jq -r .accessToken)',
        ),
    ),
    "POST /auth/refresh": Example(
        body={"refreshToken": "$REFRESH"},
        assign="PAIR",
        after=(
            'TOKEN=$(jq -r .accessToken <<<"$PAIR") REFRESH=$(jq -r .refreshToken <<<"$PAIR")'
            "   # the old pair is spent",
        ),
    ),
    "GET /users/me": Example(pipe="jq -r .email", prints="bea@example.com"),
    "PATCH /users/me": Example(
        body={
            "name": "Bea Smith",
            "phone": "+44 20 7946 0000",
            "shippingAddress": {
                "line1": "1 High St",
                "city": "London",
                "postalCode": "N1 9GU",
                "country": "GB",
            },
        },
        pipe="jq -r .name",
        prints="Bea Smith",
    ),
    "GET /users/{userId}": Example(admin=True, pipe="jq -r .email", prints="bea@example.com"),
    "GET /products": Example(
        query="?limit=2",
        pipe="jq -c '[.items[].name]'",
        prints='["Espresso Beans 1 kg","Pour-Over Kettle"]',
        after=("PRODUCT_ID=$(curl -s \"${API}products?limit=1\" | jq -r '.items[0].productId')",),
    ),
    "GET /products/{productId}": Example(pipe="jq -r .name", prints="Espresso Beans 1 kg"),
    "POST /products": Example(
        admin=True,
        body={
            "name": "Espresso cup",
            "description": "Porcelain, 80 ml",
            "price": {"amount": 1250, "currency": "EUR"},
            "stock": 40,
        },
        assign="NEW_PRODUCT_ID",
        pipe="jq -r .productId",
    ),
    "PATCH /products/{productId}": Example(
        admin=True,
        path={"{productId}": "$NEW_PRODUCT_ID"},
        body={"price": {"amount": 1100, "currency": "EUR"}},
        pipe="jq -c .price",
        prints='{"amount":1100,"currency":"EUR"}',
    ),
    "POST /orders": Example(
        headers=("-H \"Idempotency-Key: $(python3 -c 'import uuid; print(uuid.uuid4())')\"",),
        body={"items": [{"productId": "$PRODUCT_ID", "quantity": 2}], "paymentMethodId": "pm_card_visa"},
        assign="ORDER_ID",
        pipe="jq -r .orderId",
    ),
    "GET /orders": Example(pipe="jq -r --arg id \"$ORDER_ID\" '.items[0].orderId == $id'", prints="true"),
    "GET /orders/{orderId}": Example(pipe="jq -r .status", after=SAGA_WAIT),
    "POST /orders/{orderId}/cancel": Example(pipe="jq -r .status", prints="CANCELLED"),
    "POST /payments/webhook": Example(
        note=(
            "Stripe signs each webhook with the endpoint's secret: `v1` is the HMAC-SHA256 of "
            "`<timestamp>.<body>`. The secret is the key `webhookSecret` of the Stripe secret (stack "
            "output `StripeSecretArn`); locally a random one, in the AWS stand-in's Secrets Manager. "
            "Here Stripe's `charge.refunded` for the order cancelled above, signed as Stripe would:"
        ),
        before=(
            "WEBHOOK_SECRET=$(AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local "
            "AWS_SECRET_ACCESS_KEY=local \\",
            "  aws --endpoint-url http://127.0.0.1:4566 secretsmanager get-secret-value "
            "--query SecretString --output text \\",
            '  --secret-id "$(jq -r \'."Commerce-dev".StripeSecretArn\' .local/outputs.json)" '
            "| jq -r .webhookSecret)",
            f"BODY='{WEBHOOK_BODY}' TS=$(date +%s)",
            'SIGNATURE="t=$TS,v1=$(printf \'%s.%s\' "$TS" "$BODY" '
            '| openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | sed \'s/^.* //\')"',
        ),
        headers=('-H "Stripe-Signature: $SIGNATURE"',),
        body="$BODY",
        prints='{"received":true}',
    ),
    "POST /auth/logout": Example(
        body={"refreshToken": "$REFRESH"}, headers=("-o /dev/null -w '%{http_code}'",), prints="204"
    ),
    "DELETE /users/me": Example(headers=("-o /dev/null -w '%{http_code}'",), prints="204"),
}


def resource_path(resources: dict[str, Any], resource_id: str) -> str:
    """The path of an AWS::ApiGateway::Resource, walked up its ParentId chain to the API's root."""
    parts: list[str] = []
    while resource_id in resources:
        props = resources[resource_id]["Properties"]
        parts.append(props["PathPart"])
        parent = props.get("ParentId", {})
        resource_id = parent.get("Ref", "") if isinstance(parent, dict) else ""
    return "/" + "/".join(reversed(parts))


def protected_routes(template: dict[str, Any]) -> set[str]:
    """'METHOD /path' for every method the Lambda authorizer guards."""
    resources = template["Resources"]

    def path_of(resource_id: str) -> str:
        return resource_path(resources, resource_id)

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


def _options(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [option for option in schema.get("anyOf", [schema]) if option.get("type") != "null"]


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}`"
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in _options(schema))
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if schema.get("type") == "object" and "additionalProperties" in schema:
        return "object"
    return str(schema.get("type", "any"))


def _notes(schema: dict[str, Any]) -> str:
    parts = [schema.get("description", "")]
    for option in _options(schema):
        if option is not schema and option.get("description"):
            parts.append(option["description"])
        for key in BOUNDS:
            if key in option:
                value = option[key]
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                parts.append(f"{key} {json.dumps(value) if key in ('pattern', 'default') else value}")
    if "default" in schema and schema["default"] is not None and "default " not in " ".join(parts):
        parts.append(f"default {json.dumps(schema['default'])}")
    return "; ".join(part for part in parts if part)


def _refs(schema: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for option in [schema, *_options(schema), schema.get("items", {})]:
        if "$ref" in option:
            found.append(option["$ref"].rsplit("/", 1)[-1])
        if option.get("type") == "array" and "$ref" in option.get("items", {}):
            found.append(option["items"]["$ref"].rsplit("/", 1)[-1])
    return found


def _body_tables(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """The body's fields, then those of every object it refers to (once each)."""
    lines: list[str] = []
    pending = [("", schema)]
    seen: set[str] = set()
    while pending:
        title, current = pending.pop(0)
        if "$ref" in current:
            name = current["$ref"].rsplit("/", 1)[-1]
            current = components[name]
        properties = current.get("properties", {})
        if not properties:
            continue
        required = set(current.get("required", []))
        if title:
            lines += ["", f"`{title}`:", ""]
        lines += ["| field | type | required | notes |", "|---|---|---|---|"]
        for name, prop in properties.items():
            required_text = "yes" if name in required else "no"
            lines.append(f"| `{name}` | {_type(prop)} | {required_text} | {_notes(prop)} |")
            for ref in _refs(prop):
                if ref not in seen and ref not in ("Money",):
                    seen.add(ref)
                    pending.append((ref, components[ref]))
    return lines


def _json_body(body: Any) -> str:
    if isinstance(body, str):
        return f'-d "{body}"'
    text = json.dumps(body).replace('"', '\\"')
    return f'-d "{text}"'  # double quotes, so $PRODUCT_ID and friends expand


def _curl(method: str, path: str, example: Example, protected: bool, version: str) -> list[str]:
    url_path = path
    for placeholder, value in {**PATH_VALUES, **(example.path or {})}.items():
        url_path = url_path.replace(placeholder, value)
    parts = [f'curl -s -X {method} "${{API}}{url_path.lstrip("/")}{example.query}"']
    if protected:
        parts.append(f'-H "Authorization: Bearer ${"ADMIN_TOKEN" if example.admin else "TOKEN"}"')
    parts.extend(example.headers)
    if example.body is not None:
        parts.append('-H "Content-Type: application/json"')
        parts.append(_json_body(example.body))
    command = " \\\n  ".join(parts)
    if example.pipe:
        command += f" | {example.pipe}"
    if example.assign:
        command = f"{example.assign}=$({command})"
    lines = command.splitlines()
    if example.prints:
        lines[-1] += f"   # prints: {example.prints.replace('<version>', version)}"
    return [*example.before, *lines, *example.after]


def render(openapi: dict[str, Any], template: dict[str, Any]) -> str:
    protected = protected_routes(template)
    components = openapi.get("components", {}).get("schemas", {})
    version = str(openapi.get("info", {}).get("version", ""))
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
        "Each route lists every status it can answer: its own, and those every route shares (a body",
        "over 64 KiB, one that is not JSON, API Gateway's throttling and, in prod, its web ACL).",
        "",
        "The examples are one session: paste them in order against `make dev` (each sets the",
        "variables the next ones use; `make test` runs them). Against a deployed stack, set `API`",
        "from its outputs and use an admin it has (docs/identity.md); the webhook's secret is then",
        "read with your AWS credentials, without `--endpoint-url`.",
        "",
        LOCAL,
        "```bash",
        "API=http://127.0.0.1:3000/            "
        "# deployed: API=$(jq -r '.\"Commerce-dev\".ApiUrl' outputs.json)",
        "curl -s -o /dev/null -w '%{http_code}' \"${API}swagger\"   # prints: 200",
        "```",
        "",
        "| route | auth | success |",
        "|---|---|---|",
    ]
    operations = []
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            key = f"{method.upper()} {_normalise(path)}"
            is_protected = f"{method.upper()} {path}" in protected or key in protected
            operations.append((key, method.upper(), path, operation, is_protected))
    order = list(TOUR)
    operations.sort(key=lambda op: (order.index(op[0]) if op[0] in TOUR else len(order), op[0]))
    for key, _method, _path, operation, is_protected in operations:
        success = next((code for code in operation.get("responses", {}) if code.startswith("2")), "200")
        auth = "bearer (admin)" if TOUR.get(key, Example()).admin else "bearer" if is_protected else "public"
        lines.append(f"| [`{key}`](#{_anchor(key)}) | {auth} | {success} |")
    for key, method, path, operation, is_protected in operations:
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
                notes = _notes(param.get("schema", {}) | {"description": param.get("description", "")})
                lines.append(f"| `{param['name']}` | {param['in']} | {notes} |")
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            table = _body_tables(body, components)
            if table:
                lines += ["", "Body:", "", *table]
        lines += ["", "| status | meaning |", "|---|---|"]
        for code, response in sorted(operation.get("responses", {}).items()):
            lines.append(f"| {code} | {response.get('description', '')} |")
        example = TOUR.get(key, Example())
        if example.note:
            lines += ["", example.note]
        lines += ["", LOCAL, "```bash", *_curl(method, path, example, is_protected, version), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--openapi", type=Path, default=OPENAPI)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "api.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is stale")
    args = parser.parse_args(argv)
    text = render(json.loads(args.openapi.read_text()), json.loads(args.template.read_text()))
    if args.check:
        if not args.output.exists() or args.output.read_text() != text:
            print(f"{args.output} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
