"""docs/openapi.json lists, for every operation, exactly the statuses the server can answer it with:
the route's own (its successes and the domain errors its code raises), the shared resolver's
(body guard, validation) and API Gateway's (gateway responses of the dev and prod templates),
derived independently in tests/infra/route_statuses.py. No operation documents a 5xx: none is ever
the contract's answer (CONTRACT §1, "No input ... produces a 5xx")."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from commerce import request_body
from tests.infra import route_statuses
from tests.infra.conftest import Synth
from tools import openapi

DOCUMENT = json.loads(openapi.OUTPUT.read_text())


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in DOCUMENT["paths"].items()
        for method, operation in methods.items()
    ]


@pytest.fixture(scope="module")
def routes() -> dict[tuple[str, str], tuple[Any, Any]]:
    found = {}
    for module_path in openapi.api_files():
        module_name = f"{module_path.parent.name}.{module_path.stem}"
        for method, path, app, func in route_statuses.routes_of(module_name):
            found[(method, shape(path))] = (app, func)
    return found


@pytest.mark.parametrize(
    ("method", "path", "operation"), _operations(), ids=[f"{m.upper()} {p}" for m, p, _ in _operations()]
)
def test_an_operation_documents_exactly_the_statuses_the_server_can_answer(
    dev: Synth,
    prod: Synth,
    routes: dict[tuple[str, str], tuple[Any, Any]],
    method: str,
    path: str,
    operation: dict[str, Any],
) -> None:
    app, func = routes[(method, shape(path))]
    derived = route_statuses.route_statuses(app, func)
    for synth in (dev, prod):
        methods = {
            (m, shape(p)): props for (m, p), props in route_statuses.method_paths(synth.template).items()
        }
        assert (method, shape(path)) in methods, (
            f"{method.upper()} {path} is not a method of {synth.stack_name}"
        )
        derived.merge(
            route_statuses.gateway_statuses(synth.template, methods[(method, shape(path))], synth.stage)
        )
    documented = {int(code) for code in operation["responses"]}
    missing = {s: sorted(derived.reasons[s]) for s in sorted(derived.statuses - documented)}
    extra = sorted(documented - derived.statuses)
    fix = (
        "fix the route's `responses=` (its own errors) or tools/openapi.py (shared and gateway "
        "statuses), then `make openapi docs`"
    )
    where = f"{method.upper()} {path} in docs/openapi.json"
    assert not missing, (
        f"{where}: undocumented statuses the server can answer: {json.dumps(missing, indent=2)}; {fix}"
    )
    assert not extra, f"{where}: documented statuses nothing can produce: {extra}; {fix}"


def test_no_operation_documents_a_server_error() -> None:
    server_errors = [(m, p, c) for m, p, op in _operations() for c in op["responses"] if c.startswith("5")]
    assert not server_errors


#: The Swagger UI page of this very document (functions/system/swagger.py): Powertools'
#: `enable_swagger` keeps its own route out of the schema; docs/api.md names it and runs it.
SWAGGER_UI = ("get", "/swagger")


def test_every_api_method_of_the_template_is_a_documented_operation(dev: Synth) -> None:
    documented = {(m, shape(p)) for m, p, _ in _operations()}
    methods = {
        (m, shape(p))
        for (m, p), props in route_statuses.method_paths(dev.template).items()
        if props.get("Integration", {}).get("Type") != "MOCK"  # CORS preflights answer themselves
    }
    assert SWAGGER_UI in methods
    assert methods - documented == {SWAGGER_UI}


def _refusal(body: str, *, raw: bool, content_type: str = "application/json", b64: bool = False) -> int:
    event = {"body": body, "headers": {"Content-Type": content_type}, "isBase64Encoded": b64}
    try:
        request_body.read_body(event, parse=not raw)
    except request_body.BodyRefused as refused:
        return refused.status
    return 0


@pytest.mark.parametrize("raw", [False, True], ids=["parsed", "raw-body"])
def test_the_edge_statuses_derived_from_the_code_are_the_ones_it_answers(raw: bool) -> None:
    # route_statuses.edge_statuses reads the statuses off commerce.request_body's source; bodies
    # that trip each refusal (and one that is fine) show the derivation misses none and adds none.
    bodies = [
        _refusal("x" * (request_body.MAX_BODY_BYTES + 1), raw=raw),
        _refusal("{}", raw=raw, content_type="text/plain"),
        _refusal("e30=", raw=raw, b64=True),
        _refusal("{", raw=raw),
        _refusal("NaN", raw=raw),
        _refusal("[]", raw=raw),
        _refusal("[" * (request_body.MAX_DEPTH + 1) + "]" * (request_body.MAX_DEPTH + 1), raw=raw),
        _refusal(json.dumps({"a": list(range(request_body.MAX_MEMBERS + 1))}), raw=raw),
        _refusal('{"a": 1}', raw=raw),
    ]
    answered = {status for status in bodies if status}
    assert answered == route_statuses.edge_statuses(raw=raw).statuses
    assert answered == ({413, 415} if raw else {400, 413, 415, 422})
