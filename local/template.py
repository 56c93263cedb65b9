"""Reads a synthesized CloudFormation template: resources, dependencies and intrinsic functions.

The resolver turns `Ref`, `Fn::GetAtt`, `Fn::Sub`, ... into the *local* physical values recorded in a
`PhysicalMap` while resources are provisioned, so nothing about the system is declared twice.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class TemplateError(Exception):
    """The template uses something the local stack cannot resolve."""


@dataclass
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]
    metadata: dict[str, Any]
    depends_on: list[str]
    condition: str | None = None

    @property
    def asset_path(self) -> str | None:
        value = self.metadata.get("aws:asset:path")
        return str(value) if value else None


@dataclass
class Physical:
    """What a provisioned resource answers to `Ref` and `Fn::GetAtt`."""

    ref: str
    attrs: dict[str, Any] = field(default_factory=dict)
    loose: bool = False  # a placeholder: any attribute resolves to a derived value

    def attr(self, name: str) -> Any:
        if name in self.attrs:
            return self.attrs[name]
        if self.loose:
            base = self.attrs.get("Arn") or self.ref
            return f"{base}/{name}" if name != "Arn" else base
        raise KeyError(name)


class Template:
    def __init__(self, body: dict[str, Any], stack_name: str, path: Path | None = None) -> None:
        self.body = body
        self.stack_name = stack_name
        self.path = path
        self.resources: dict[str, Resource] = {}
        for logical_id, raw in (body.get("Resources") or {}).items():
            depends = raw.get("DependsOn") or []
            self.resources[logical_id] = Resource(
                logical_id=logical_id,
                type=str(raw.get("Type", "")),
                properties=raw.get("Properties") or {},
                metadata=raw.get("Metadata") or {},
                depends_on=[depends] if isinstance(depends, str) else list(depends),
                condition=raw.get("Condition"),
            )
        self.parameters: dict[str, Any] = body.get("Parameters") or {}
        self.conditions: dict[str, Any] = body.get("Conditions") or {}
        self.outputs: dict[str, Any] = body.get("Outputs") or {}
        self.mappings: dict[str, Any] = body.get("Mappings") or {}

    @classmethod
    def load(cls, path: Path, stack_name: str | None = None) -> Template:
        body = json.loads(path.read_text())
        name = stack_name or path.name.removesuffix(".template.json")
        return cls(body, name, path)

    def of_type(self, *types: str) -> Iterator[Resource]:
        for resource in self.resources.values():
            if resource.type in types:
                yield resource

    def references(self, value: Any) -> set[str]:
        """Logical ids that `value` refers to through Ref / GetAtt / Sub."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if "Ref" in node and len(node) == 1:
                    found.add(str(node["Ref"]))
                    return
                if "Fn::GetAtt" in node and len(node) == 1:
                    target = node["Fn::GetAtt"]
                    name = target[0] if isinstance(target, list) else str(target).split(".", 1)[0]
                    found.add(str(name))
                    return
                if "Fn::Sub" in node and len(node) == 1:
                    sub = node["Fn::Sub"]
                    text, variables = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
                    for var in _SUB_VAR.findall(text):
                        if not var.startswith("!") and var not in variables:
                            found.add(var.split(".", 1)[0])
                    walk(variables)
                    return
                for child in node.values():
                    walk(child)
            elif isinstance(node, list):
                for child in node:
                    walk(child)

        walk(value)
        return {name for name in found if name in self.resources}

    def dependency_order(self, logical_ids: list[str] | None = None) -> list[str]:
        """Topological order (dependencies first) by references and DependsOn; stable by template order."""
        wanted = set(logical_ids if logical_ids is not None else self.resources)
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(lid: str) -> None:
            if state.get(lid):
                return  # done, or a cycle (e.g. through IAM policies) that only matters in the cloud
            state[lid] = 1
            for dep in sorted(self._deps_of(lid)):
                visit(dep)
            if lid in wanted:
                order.append(lid)

        for lid in self.resources:
            if lid in wanted:
                visit(lid)
        return order

    def _deps_of(self, lid: str) -> set[str]:
        resource = self.resources.get(lid)
        if resource is None:
            return set()
        return (self.references(resource.properties) | set(resource.depends_on)) & set(self.resources)


def generated_name(stack_name: str, logical_id: str, max_length: int = 128, lower: bool = False) -> str:
    """A name as CloudFormation generates it: `<stack>-<LogicalId>-<SUFFIX>`, stable across restarts."""
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).digest()
    suffix = base64.b32encode(digest).decode().rstrip("=")[:12]
    if lower:
        suffix = suffix.lower()
    room = max_length - len(suffix) - 1
    head = f"{stack_name}-{logical_id}"[:room]
    return f"{head}-{suffix}"


def pseudo_parameters(stack_name: str) -> dict[str, Any]:
    return {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Partition": PARTITION,
        "AWS::URLSuffix": URL_SUFFIX,
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/local",
        "AWS::NoValue": None,
        "AWS::NotificationARNs": [],
    }


class Resolver:
    """Evaluates intrinsic functions against the physical values provisioned so far."""

    def __init__(
        self,
        template: Template,
        physical: dict[str, Physical] | None = None,
        parameter_values: dict[str, Any] | None = None,
        on_missing: Callable[[str], Physical | None] | None = None,
    ) -> None:
        self.template = template
        self.physical: dict[str, Physical] = physical if physical is not None else {}
        self.pseudo = pseudo_parameters(template.stack_name)
        self.parameter_values = parameter_values or {}
        self.on_missing = on_missing

    # -- public -------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not _NO_VALUE]
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self.ref(str(arg))
                if key == "Condition":
                    return self.condition(str(arg))
                if key.startswith("Fn::"):
                    return self._function(key, arg)
            out = {}
            for k, v in value.items():
                resolved = self.resolve(v)
                if resolved is not _NO_VALUE:
                    out[k] = resolved
            return out
        return value

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.template.parameters:
            return self._parameter(name)
        return self._physical(name).ref

    def get_att(self, name: str, attribute: str) -> Any:
        physical = self._physical(name)
        try:
            return physical.attr(attribute)
        except KeyError:
            raise TemplateError(f"Fn::GetAtt {name}.{attribute} is not known locally") from None

    def condition(self, name: str) -> bool:
        if name not in self.template.conditions:
            raise TemplateError(f"unknown condition {name}")
        return bool(self.resolve(self.template.conditions[name]))

    def is_enabled(self, resource: Resource) -> bool:
        return resource.condition is None or self.condition(resource.condition)

    # -- internals ----------------------------------------------------------------------------
    def _physical(self, name: str) -> Physical:
        physical = self.physical.get(name)
        if physical is None and self.on_missing is not None:
            physical = self.on_missing(name)
        if physical is None:
            raise TemplateError(f"Ref {name}: no local resource")
        return physical

    def _parameter(self, name: str) -> Any:
        if name in self.parameter_values:
            return self.parameter_values[name]
        spec = self.template.parameters[name]
        default = spec.get("Default")
        if str(spec.get("Type", "")).startswith("List<") or spec.get("Type") == "CommaDelimitedList":
            return [] if default is None else str(default).split(",")
        return default

    def _function(self, key: str, arg: Any) -> Any:
        handler = getattr(self, "_fn_" + key[4:].lower(), None)
        if handler is None:
            raise TemplateError(f"{key} is not supported locally")
        return handler(arg)

    def _fn_getatt(self, arg: Any) -> Any:
        if isinstance(arg, str):
            name, attribute = arg.split(".", 1)
        else:
            name, attribute = str(arg[0]), str(self.resolve(arg[1]))
        return self.get_att(name, attribute)

    def _fn_join(self, arg: Any) -> str:
        separator, items = arg
        values = self.resolve(items)
        return str(separator).join(_to_str(v) for v in values)

    def _fn_sub(self, arg: Any) -> str:
        if isinstance(arg, str):
            text, variables = arg, {}
        else:
            text, variables = arg[0], self.resolve(arg[1])

        def replace(match: re.Match[str]) -> str:
            var = match.group(1)
            if var.startswith("!"):
                return "${" + var[1:] + "}"
            if var in variables:
                return _to_str(variables[var])
            if var in self.pseudo or var in self.template.parameters:
                return _to_str(self.ref(var))
            if "." in var:
                name, attribute = var.split(".", 1)
                return _to_str(self.get_att(name, attribute))
            return _to_str(self.ref(var))

        return _SUB_VAR.sub(replace, text)

    def _fn_select(self, arg: Any) -> Any:
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        return items[int(index)]

    def _fn_split(self, arg: Any) -> list[str]:
        separator, text = arg[0], self.resolve(arg[1])
        return str(text).split(separator)

    def _fn_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _fn_equals(self, arg: Any) -> bool:
        left, right = self.resolve(arg[0]), self.resolve(arg[1])
        return _to_str(left) == _to_str(right)

    def _fn_not(self, arg: Any) -> bool:
        return not self.resolve(arg[0])

    def _fn_and(self, arg: Any) -> bool:
        return all(self.resolve(a) for a in arg)

    def _fn_or(self, arg: Any) -> bool:
        return any(self.resolve(a) for a in arg)

    def _fn_base64(self, arg: Any) -> str:
        return base64.b64encode(_to_str(self.resolve(arg)).encode()).decode()

    def _fn_getazs(self, arg: Any) -> list[str]:
        return [f"{REGION}{zone}" for zone in "abc"]

    def _fn_findinmap(self, arg: Any) -> Any:
        name, top, second = (self.resolve(a) for a in arg)
        return self.template.mappings[name][top][second]

    def _fn_importvalue(self, arg: Any) -> Any:
        raise TemplateError(f"Fn::ImportValue {arg} cannot be resolved by a single local stack")


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE: Any = _NoValue()


def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
