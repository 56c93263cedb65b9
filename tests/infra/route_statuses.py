"""The statuses an API operation can answer with, derived from the code and the template (not from
docs/openapi.json, which tests/infra/test_openapi_statuses.py checks against them):

- the route's own: its successes (`json_response(201, ...)`, `Response(status_code=304, ...)`, a
  returned dict is 200) and every domain error the route function, the use case it calls and
  everything they call (in functions/ and the commerce layer) raise, each as its kind's status in
  `commerce.api.PROBLEM_STATUS`;
- the shared resolver's: the request-body edge's refusals on every request (`edge_statuses`, read
  from `commerce.request_body`: 413/415, and 400/422 unless the route reads its body raw), 400 and
  422 from validating a JSON body, 422 from a header, query or path parameter that has constraints
  or is not a string;
- API Gateway's, from the synthesized templates (see `gateway_statuses`).

Calls are followed by name as Python would resolve them (a function's globals), `self.method()` in
the same class, `self.<port>.method()` into the service's adapters that define `method`, and
`<provider>().method()` into the use-case class the service's wiring builds.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from commerce import request_body
from commerce.api import PROBLEM_STATUS, CommerceResolver
from commerce.errors import DomainError
from commerce.wiring import Provider
from tools.api_reference import resource_path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_CODE = (ROOT / "functions", ROOT / "layers" / "commerce" / "python" / "commerce")
MAX_DEPTH = 12


@dataclass
class Derived:
    """Statuses and why: status → the reasons (one line each) it can be answered."""

    reasons: dict[int, set[str]] = field(default_factory=dict)

    def add(self, status: int, reason: str) -> None:
        self.reasons.setdefault(status, set()).add(reason)

    def merge(self, other: Derived) -> None:
        for status, reasons in other.reasons.items():
            for reason in reasons:
                self.add(status, reason)

    @property
    def statuses(self) -> set[int]:
        return set(self.reasons)


def _is_project(obj: Any) -> bool:
    try:
        path = Path(inspect.getsourcefile(obj) or "")
    except TypeError:
        return False
    return any(path.is_relative_to(base) for base in PROJECT_CODE)


def _tree(func: Callable[..., Any]) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(func)))


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """The object a dotted name (`x`, `x.y.z`) refers to in a function's globals, or None."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id, getattr(__builtins__, node.id, None))
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _status_of(error: type[DomainError]) -> int | None:
    return next((PROBLEM_STATUS[kind] for kind in error.__mro__ if kind in PROBLEM_STATUS), None)


def _provider_class(provider: Provider[Any]) -> type | None:
    """The class a wiring Provider's `lambda: UseCase(...)` builds."""
    build = provider._build
    source = textwrap.dedent(inspect.getsource(build)).strip()
    for node in ast.walk(ast.parse(source if not source.endswith(",") else source[:-1], mode="exec")):
        if isinstance(node, ast.Lambda) and isinstance(node.body, ast.Call):
            built = _resolve(node.body.func, build.__globals__)
            return built if isinstance(built, type) else None
    return None


def _field_type(owner: type, attribute: str) -> Any:
    try:
        hints = typing.get_type_hints(owner)
    except Exception:
        return None
    return hints.get(attribute)


def _adapters(port: Any, method: str) -> Iterator[type]:
    """Classes of the port's service package (its adapters) that define `method` (not Protocols)."""
    module = inspect.getmodule(port)
    if module is None or "." not in module.__name__:
        return
    package = module.__name__.split(".")[0]
    folder = ROOT / "functions" / package
    for path in sorted(folder.glob("*.py")):
        candidate = importlib.import_module(f"{package}.{path.stem}")
        for value in vars(candidate).values():
            if (
                isinstance(value, type)
                and value.__module__ == candidate.__name__
                and method in vars(value)
                and not getattr(value, "_is_protocol", False)
            ):
                yield value


class Walker:
    """Collects the domain errors a function can raise, following the calls it makes."""

    def __init__(self) -> None:
        self.seen: set[Any] = set()
        self.found = Derived()

    def function(self, func: Any, owner: type | None = None, depth: int = 0, via: str = "") -> None:
        func = inspect.unwrap(func)
        key = (func, owner)
        if depth > MAX_DEPTH or key in self.seen or not _is_project(func):
            return
        self.seen.add(key)
        namespace = func.__globals__
        where = f"{func.__module__}.{func.__qualname__}"
        for node in ast.walk(_tree(func)):
            if isinstance(node, ast.Raise) and node.exc is not None:
                raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                error = _resolve(raised, namespace)
                if isinstance(error, type) and issubclass(error, DomainError):
                    status = _status_of(error)
                    if status is not None:
                        self.found.add(status, f"{where} raises {error.__name__}")
            elif isinstance(node, ast.Call):
                for callee, callee_owner in self._callees(node, namespace, owner):
                    self.function(callee, callee_owner, depth + 1, where)

    def _callees(
        self, call: ast.Call, namespace: dict[str, Any], owner: type | None
    ) -> Iterator[tuple[Any, Any]]:
        func = call.func
        # self.method(...)
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "self"
            and owner is not None
        ):
            method = getattr(owner, func.attr, None)
            if callable(method):
                yield method, owner
            return
        # self.<port>.method(...): every adapter of the port that defines the method
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Attribute)
            and isinstance(func.value.value, ast.Name)
            and func.value.value.id == "self"
            and owner is not None
        ):
            port = _field_type(owner, func.value.attr)
            if port is not None:
                for adapter in _adapters(port, func.attr):
                    yield getattr(adapter, func.attr), adapter
            return
        # provider().method(...): the use case the wiring builds
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Call)
            and isinstance(_resolve(func.value.func, namespace), Provider)
        ):
            use_case = _provider_class(_resolve(func.value.func, namespace))
            method = getattr(use_case, func.attr, None) if use_case is not None else None
            if callable(method):
                yield method, use_case
            return
        target = _resolve(func, namespace)
        if isinstance(target, types.FunctionType):
            yield target, None
        elif isinstance(target, type) and _is_project(target) and not issubclass(target, BaseException):
            init = vars(target).get("__init__")
            if isinstance(init, types.FunctionType):
                yield init, target


def _successes(route: Any) -> Derived:
    """The 1xx-3xx statuses the route function (and project helpers it calls) answer with."""
    found = Derived()
    seen: set[Any] = set()

    def walk(func: Any, depth: int) -> None:
        func = inspect.unwrap(func)
        if depth > 3 or func in seen or not _is_project(func):
            return
        seen.add(func)
        for node in ast.walk(_tree(func)):
            if not isinstance(node, ast.Call):
                continue
            target = _resolve(node.func, func.__globals__)
            name = getattr(target, "__name__", "")
            value = None
            if name == "json_response" and node.args and isinstance(node.args[0], ast.Constant):
                value = node.args[0].value
            for keyword in node.keywords:
                if keyword.arg == "status_code" and isinstance(keyword.value, ast.Constant):
                    value = keyword.value.value
            if isinstance(value, int) and value < 400:
                found.add(value, f"{func.__module__}.{func.__qualname__} answers {value}")
            if isinstance(target, types.FunctionType) and target.__module__.split(".")[0] != "commerce":
                walk(target, depth + 1)

    walk(route, 0)
    annotation = inspect.signature(inspect.unwrap(route)).return_annotation
    if "Response" not in str(annotation):
        found.add(200, f"{route.__module__}.{route.__name__} returns a body (Powertools answers 200)")
    return found


def _constrained(annotation: Any) -> tuple[bool, bool]:
    """(is a request body model, can fail validation) for one route parameter's annotation."""
    metadata: list[Any] = []
    base = annotation
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
    if isinstance(base, type) and issubclass(base, BaseModel):
        return True, True
    constraints = [m for info in metadata if isinstance(info, FieldInfo) for m in info.metadata]
    if any(isinstance(info, Body) for info in metadata):
        return True, True
    kinds = set(typing.get_args(base)) - {type(None)} if typing.get_origin(base) else {base}
    return False, bool(constraints) or kinds != {str}


def edge_statuses(*, raw: bool) -> Derived:
    """The statuses the request-body edge (`commerce.request_body.read_body`, which
    `commerce.api.body_problem` runs on every request before routing) refuses a body with: every
    `BodyRefused(<status>, ...)` it and the module's functions it calls or passes on can build. A
    raw-body route (`read_body(..., parse=False)`) gets only those before `if not parse: return`."""
    found = Derived()
    module_globals = vars(request_body)
    seen: set[Any] = set()

    def walk(node: ast.AST, where: str) -> None:
        for child in ast.walk(node):
            if (
                isinstance(child, ast.Call)
                and _resolve(child.func, module_globals) is request_body.BodyRefused
                and child.args
                and isinstance(child.args[0], ast.Constant)
                and isinstance(child.args[0].value, int)
            ):
                found.add(child.args[0].value, f"commerce.request_body.{where} refuses the body")
            elif isinstance(child, ast.Name):
                target = module_globals.get(child.id)
                if (
                    isinstance(target, types.FunctionType)
                    and target.__module__ == request_body.__name__
                    and target not in seen
                ):
                    seen.add(target)
                    walk(_tree(target), target.__name__)

    read = request_body.read_body
    seen.add(read)
    (definition,) = _tree(read).body  # type: ignore[attr-defined]
    for statement in definition.body:
        if raw and isinstance(statement, ast.If) and ast.unparse(statement.test) == "not parse":
            break
        walk(statement, read.__name__)
    return found


def resolver_statuses(app: Any, route: Any) -> Derived:
    found = Derived()
    if isinstance(app, CommerceResolver):
        found.merge(edge_statuses(raw=app.raw_body))
    if not getattr(app, "_enable_validation", False):
        return found
    hints = typing.get_type_hints(inspect.unwrap(route), include_extras=True)
    for name, parameter in inspect.signature(inspect.unwrap(route)).parameters.items():
        is_body, can_fail = _constrained(hints.get(name, parameter.annotation))
        if is_body:
            found.add(400, f"Powertools validation: `{name}` is a JSON body (malformed JSON)")
        if can_fail:
            found.add(422, f"Powertools validation: `{name}` has a schema a request can miss")
    return found


def route_statuses(app: Any, route: Any) -> Derived:
    """Everything the code behind one route can answer (not API Gateway's own responses)."""
    walker = Walker()
    walker.function(route)
    found = walker.found
    found.merge(_successes(route))
    found.merge(resolver_statuses(app, route))
    return found


def routes_of(module_name: str) -> Iterator[tuple[str, str, Any, Any]]:
    """(method, OpenAPI path, app, route function) for every route a handler module defines."""
    module = importlib.import_module(module_name)
    app = module.app
    for route in app._static_routes + app._dynamic_routes:
        path = route.openapi_path if hasattr(route, "openapi_path") else route.path
        for method in route.method.split("|") if isinstance(route.method, str) else route.method:
            yield method.lower(), path, app, route.func


# -- API Gateway ---------------------------------------------------------------------------------


def method_paths(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path) → the AWS::ApiGateway::Method's properties."""
    resources = template["Resources"]

    def path_of(resource_id: str) -> str:
        return resource_path(resources, resource_id)

    found = {}
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::Method":
            props = resource["Properties"]
            resource_id = props.get("ResourceId", {})
            path = (
                path_of(resource_id["Ref"]) if isinstance(resource_id, dict) and "Ref" in resource_id else "/"
            )
            found[(props["HttpMethod"].lower(), path)] = props
    return found


def _gateway_status(template: dict[str, Any], response_type: str) -> int | None:
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if (
            resource["Type"] == "AWS::ApiGateway::GatewayResponse"
            and props.get("ResponseType") == response_type
        ):
            return int(props["StatusCode"])
    return None


def gateway_statuses(template: dict[str, Any], method: dict[str, Any], stage: str) -> Derived:
    """API Gateway's own answers to a method, each with the gateway response that sets its status:

    - UNAUTHORIZED, when a Lambda authorizer guards the method and refuses the token (ours never
      returns a Deny policy, so ACCESS_DENIED cannot happen: it raises "Unauthorized" or allows
      the whole stage, see functions/identity/authorizer.py);
    - THROTTLED, when the stage's method settings throttle the method;
    - REQUEST_TOO_LARGE, on every method: API Gateway refuses payloads over 10 MB;
    - WAF_FILTERED, when a web ACL is associated with the stage (prod);
    - BAD_REQUEST_BODY / BAD_REQUEST_PARAMETERS, only with a request validator; QUOTA_EXCEEDED and
      INVALID_API_KEY only with an API key.
    """
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html (10 MB payload)
    found = Derived()

    def add(response_type: str, why: str) -> None:
        status = _gateway_status(template, response_type)
        assert status is not None, f"the template has no {response_type} gateway response"
        found.add(status, f"API Gateway {response_type} ({stage}): {why}")

    if method.get("AuthorizationType") in ("CUSTOM", "COGNITO_USER_POOLS"):
        add("UNAUTHORIZED", "the authorizer refuses the token")
    resources = template["Resources"].values()
    throttled = any(
        setting.get("ThrottlingRateLimit") is not None
        for resource in resources
        if resource["Type"] == "AWS::ApiGateway::Stage"
        for setting in resource["Properties"].get("MethodSettings", [])
    )
    if throttled:
        add("THROTTLED", "the stage's throttling")
    add("REQUEST_TOO_LARGE", "a payload over 10 MB")
    if any(resource["Type"] == "AWS::WAFv2::WebACLAssociation" for resource in resources):
        add("WAF_FILTERED", "the web ACL on the stage")
    if method.get("RequestValidatorId"):
        add("BAD_REQUEST_BODY", "a request validator")
    if method.get("ApiKeyRequired"):
        add("INVALID_API_KEY", "an API key is required")
        add("QUOTA_EXCEEDED", "a usage plan's quota")
    return found
