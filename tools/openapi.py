"""Writes docs/openapi.json: the OpenAPI 3 document of the whole Commerce API, by Powertools' merge.

Each API function (`functions/<service>/<module>.py` with a module-level resolver `app`) has its own
resolver; Powertools' `OpenAPIMerge` loads each of them and merges their documents (paths and
components; a route defined twice is an error). What is left here is what the merge cannot do:

- the default 422 Powertools puts on every route (an `HTTPValidationError` JSON body) is dropped:
  our resolver never answers in that shape, and a route that can answer 422 declares its own
  problem+json 422;
- every operation gets the statuses it can answer that are not its route's own (`SHARED_STATUSES`):
  the shared resolver's (the request-body edge on every request: 413/415, and — unless the route
  reads its body raw — 400 for malformed JSON and 422 for JSON no route takes; 422 for validation
  when it takes a JSON body or a parameter has constraints) and API
  Gateway's (401 from the authorizer on bearer routes; 413 over 10 MB, 429 throttling and, in prod,
  403 from the web ACL, on every route). A route declares only its own (its successes and the domain
  errors its use case raises); where both apply, the descriptions are joined.
  tests/infra/test_openapi_statuses.py derives every operation's statuses from the code and the
  templates and fails when the document lists one more or one fewer;
- component schemas no path reaches (`HTTPValidationError` and its parts) are dropped;
- paths, methods and schemas are sorted, so the committed file diffs well.

`make openapi` runs this; tests/unit/test_openapi.py fails when the committed file is stale.

    python -m tools.openapi            # write docs/openapi.json
    python -m tools.openapi --check    # exit 1 if docs/openapi.json is stale
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from commerce import request_body

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
OUTPUT = ROOT / "docs" / "openapi.json"
TITLE = "Commerce API"
DESCRIPTION = (
    "The Commerce REST API (see CONTRACT §1). Errors are RFC 9457 application/problem+json. "
    "Protected routes take `Authorization: Bearer <access token>`."
)


def version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def api_files() -> list[Path]:
    """Every function module that defines a module-level resolver `app` (`app = make_resolver(...)`).

    Powertools' own discovery looks for `app = APIGatewayRestResolver(...)` literally, which our
    handlers do not write (they take the shared resolver), so the files are named to the merge."""
    found = []
    for path in sorted(FUNCTIONS.glob("*/*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        if any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "app" for t in node.targets)
            for node in tree.body
        ):
            found.append(path)
    return found


PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemDetails"}
#: (status, when it applies, what it means, whether it reads before the route's own meaning).
#: `when` is one of: "always", "bearer" (behind the Lambda authorizer), "validated" (a JSON body, or
#: a parameter with constraints), "parsed" (the request-body edge parses any body the route is sent:
#: every route but a raw-body one, `make_resolver(raw_body=True)`).
SHARED_STATUSES: tuple[tuple[int, str, str, bool], ...] = (
    (400, "parsed", "Malformed JSON", True),
    (
        401,
        "bearer",
        "Missing, invalid or expired token, or one whose account is gone, disabled or has revoked its tokens",
        True,
    ),
    (
        403,
        "always",
        "(prod) refused by the web ACL: not through the CDN, too many requests from one client",
        False,
    ),
    (413, "always", "Body over 64 KiB (API Gateway refuses over 10 MB)", True),
    (415, "always", "A body that is not JSON", True),
    (422, "validated", "Validation error (`errors` lists each problem)", True),
    (
        422,
        "parsed",
        f"a JSON body no route takes (nested deeper than {request_body.MAX_DEPTH} levels, more than"
        f" {request_body.MAX_MEMBERS} members in one array or object, an integer of more than"
        f" {request_body.MAX_INTEGER_DIGITS} digits, a float beyond a double, or not an object)",
        False,
    ),
    (429, "always", "Throttled by API Gateway (the stage's or the route's rate limit)", False),
)
_CONSTRAINTS = ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                "pattern", "enum", "minItems", "maxItems", "format")  # fmt: skip


def _can_fail_validation(schema: dict[str, Any]) -> bool:
    """A parameter schema a request can miss: constrained, or not a plain string."""
    options = [option for option in schema.get("anyOf", [schema]) if option.get("type") != "null"]
    return any(
        option.get("type", "string") != "string" or set(option) & set(_CONSTRAINTS) for option in options
    )


def _applies(when: str, operation: dict[str, Any], *, raw_body: bool) -> bool:
    has_body = "application/json" in operation.get("requestBody", {}).get("content", {})
    if when == "always":
        return True
    if when == "bearer":
        return bool(operation.get("security"))
    if when == "parsed":
        return not raw_body
    if when == "validated":
        return has_body or any(
            _can_fail_validation(p.get("schema", {})) for p in operation.get("parameters", [])
        )
    raise ValueError(when)


def _joined(first: str, second: str) -> str:
    if first.lower() == second.lower() or not second:
        return first
    return f"{first}; {second[0].lower()}{second[1:]}"


def add_shared_statuses(operation: dict[str, Any], *, raw_body: bool = False) -> None:
    """Add (or join into the route's own) the statuses the resolver and API Gateway answer with."""
    responses = operation.setdefault("responses", {})
    for status, when, meaning, first in SHARED_STATUSES:
        if not _applies(when, operation, raw_body=raw_body):
            continue
        code = str(status)
        own = responses.get(code)
        if own is None:
            responses[code] = {
                "description": meaning[0].upper() + meaning[1:],
                "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
            }
            continue
        description = own.get("description", "")
        joined = _joined(meaning, description) if first else _joined(description, meaning)
        own["description"] = joined[0].upper() + joined[1:]
    operation["responses"] = dict(sorted(responses.items()))


def _drop_default_validation_error(operation: dict[str, Any]) -> None:
    default = operation.get("responses", {}).get("422", {})
    schema = default.get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("$ref") == "#/components/schemas/HTTPValidationError":
        del operation["responses"]["422"]


def _referenced(schemas: dict[str, Any], paths: dict[str, Any]) -> dict[str, Any]:
    """The component schemas the paths reach (directly or through other schemas)."""
    prefix = "#/components/schemas/"
    found: set[str] = set()
    pending: list[Any] = [paths]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix) and ref[len(prefix) :] not in found:
                found.add(ref[len(prefix) :])
                pending.append(schemas.get(ref[len(prefix) :], {}))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return {name: schema for name, schema in schemas.items() if name in found}


def merged() -> dict[str, Any]:
    """The merge of every API function's document, as Powertools produces it."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    # Importing a handler touches no network (a project rule); tracing off, a region for botocore.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    merge = OpenAPIMerge(title=TITLE, version=version(), description=DESCRIPTION, on_conflict="error")
    for path in api_files():
        merge.add_file(path)
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    return document


def raw_body_operations() -> set[tuple[str, str]]:
    """(method, path) of every route whose resolver reads its body raw (`raw_body=True`): the
    request-body edge checks only its size and media type, so it gets no edge 400/422."""
    found = set()
    for path in api_files():
        app = importlib.import_module(f"{path.parent.name}.{path.stem}").app
        if getattr(app, "raw_body", False):
            for route in app._static_routes + app._dynamic_routes:
                route_path = getattr(route, "openapi_path", route.path)
                found |= {(method.lower(), route_path) for method in route.method.split("|")}
    return found


def build() -> dict[str, Any]:
    document = merged()
    raw = raw_body_operations()
    paths = document.get("paths", {})
    for path, operations in paths.items():
        for method, operation in operations.items():
            _drop_default_validation_error(operation)
            add_shared_statuses(operation, raw_body=(method, path) in raw)
    components = document.get("components", {})
    return {
        "openapi": document["openapi"],
        "info": document["info"],
        "paths": {path: dict(sorted(paths[path].items())) for path in sorted(paths)},
        "components": {
            "schemas": dict(sorted(_referenced(components.get("schemas", {}), paths).items())),
            "securitySchemes": components.get("securitySchemes", {}),
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output} ({len(json.loads(text)['paths'])} paths)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
