"""Writes docs/openapi.json: the OpenAPI 3 document of the whole Commerce API.

It is generated from the code, not written by hand: every `functions/<service>/<module>.py` that
defines a module-level Powertools resolver named `app` is imported, each resolver produces its
OpenAPI document from its routes' pydantic models, and the documents are merged (paths and
component schemas; the same schema name must mean the same schema). `make openapi` runs this;
tests/unit/test_openapi.py fails when the committed file is stale.

    python tools/openapi.py            # write docs/openapi.json
    python tools/openapi.py --check    # exit 1 if docs/openapi.json is stale
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
OUTPUT = ROOT / "docs" / "openapi.json"
TITLE = "Commerce API"
DESCRIPTION = (
    "The Commerce REST API (see CONTRACT §1). Errors are RFC 9457 application/problem+json. "
    "Protected routes take `Authorization: Bearer <access token>`."
)
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def api_modules() -> list[str]:
    """Dotted names of every function module that defines a module-level `app` resolver."""
    names = []
    for path in sorted(FUNCTIONS.glob("*/*.py")):
        if path.name.startswith("_"):
            continue
        source = path.read_text()
        if "\napp = " in source or source.startswith("app = "):
            names.append(f"{path.parent.name}.{path.stem}")
    return names


def resolvers() -> dict[str, Any]:
    """module name → its resolver. Importing touches no network (a project rule), so no AWS here."""
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    found = {}
    for name in api_modules():
        module = importlib.import_module(name)
        app = getattr(module, "app", None)
        if isinstance(app, ApiGatewayResolver):
            found[name] = app
    return found


def _powertools_security_schemes() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {"bearerAuth": HTTPBearer(scheme="bearer", bearerFormat="JWT")}


def _merge_schemas(target: dict[str, Any], schemas: dict[str, Any], origin: str) -> None:
    for name, schema in schemas.items():
        if name in target and target[name] != schema:
            raise SystemExit(f"component schema {name!r} from {origin} differs from an earlier definition")
        target[name] = schema


def _drop_default_validation_error(operation: dict[str, Any]) -> None:
    """Remove the 422 Powertools adds to every route (an `HTTPValidationError` JSON body): our
    resolver never answers in that shape, and a route that can answer 422 declares its own
    problem+json 422 (which replaces the default), so what is left is a status the route never returns."""
    default = operation.get("responses", {}).get("422", {})
    schema = default.get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("$ref") == "#/components/schemas/HTTPValidationError":
        del operation["responses"]["422"]


def _referenced(schemas: dict[str, Any], paths: dict[str, Any]) -> dict[str, Any]:
    """The component schemas the paths reach (directly or through other schemas)."""
    prefix = "#/components/schemas/"
    found: set[str] = set()
    pending = [paths]
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


def build() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    owners: dict[tuple[str, str], str] = {}
    for name, app in sorted(resolvers().items()):
        document = json.loads(
            app.get_openapi_json_schema(
                title=TITLE, version=version(), security_schemes=_powertools_security_schemes()
            )
        )
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if method not in HTTP_METHODS:
                    continue
                if (path, method) in owners:
                    raise SystemExit(
                        f"{method.upper()} {path} is defined by {owners[path, method]} and {name}"
                    )
                owners[path, method] = name
                operation.setdefault("operationId", f"{name.replace('.', '_')}_{method}")
                _drop_default_validation_error(operation)
                operation["x-lambda-handler"] = f"{name}.lambda_handler"
                paths.setdefault(path, {})[method] = operation
        _merge_schemas(schemas, document.get("components", {}).get("schemas", {}), name)
    paths = {path: dict(sorted(paths[path].items())) for path in sorted(paths)}
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": version(), "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(_referenced(schemas, paths).items())),
            "securitySchemes": SECURITY_SCHEMES,
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
    print(f"wrote {args.output.relative_to(ROOT)} ({len(json.loads(text)['paths'])} paths)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
