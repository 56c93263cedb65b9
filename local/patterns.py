"""EventBridge-style event pattern matching (also used for Lambda event filtering).

Supports literal values, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (value, list,
prefix, suffix), `numeric`, `exists`, `cidr`, `wildcard` and `$or`.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from typing import Any

_MISSING = object()


def matches(pattern: dict[str, Any] | str, event: Any) -> bool:
    if isinstance(pattern, str):
        pattern = json.loads(pattern)
    if not isinstance(pattern, dict):
        raise ValueError("an event pattern is a JSON object")
    return _match_object(pattern, event)


def _match_object(pattern: dict[str, Any], event: Any) -> bool:
    for key, rule in pattern.items():
        if key == "$or":
            if not any(_match_object(alternative, event) for alternative in rule):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(rule, dict):
            if value is _MISSING or not isinstance(value, dict):
                # A nested pattern whose every leaf is {"exists": false} still matches.
                if not _only_absence(rule):
                    return False
                continue
            if not _match_object(rule, value):
                return False
        elif isinstance(rule, list):
            if not _match_values(rule, value):
                return False
        else:
            raise ValueError(f"pattern value for {key!r} must be an object or an array")
    return True


def _only_absence(rule: dict[str, Any]) -> bool:
    for value in rule.values():
        if isinstance(value, dict):
            if not _only_absence(value):
                return False
        elif not (
            isinstance(value, list) and any(isinstance(m, dict) and m.get("exists") is False for m in value)
        ):
            return False
    return True


def _match_values(matchers: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for matcher in matchers:
        if isinstance(matcher, dict) and "exists" in matcher:
            present = value is not _MISSING
            if present == bool(matcher["exists"]):
                return True
            continue
        if value is _MISSING:
            continue
        if any(_match_one(matcher, v) for v in values):
            return True
    return False


def _match_one(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return _equal(matcher, value)
    for op, arg in matcher.items():
        if op == "prefix":
            if isinstance(arg, dict):
                return isinstance(value, str) and value.lower().startswith(
                    str(arg["equals-ignore-case"]).lower()
                )
            return isinstance(value, str) and value.startswith(arg)
        if op == "suffix":
            if isinstance(arg, dict):
                return isinstance(value, str) and value.lower().endswith(
                    str(arg["equals-ignore-case"]).lower()
                )
            return isinstance(value, str) and value.endswith(arg)
        if op == "equals-ignore-case":
            return isinstance(value, str) and value.lower() == str(arg).lower()
        if op == "wildcard":
            return isinstance(value, str) and fnmatch.fnmatchcase(value, arg)
        if op == "anything-but":
            return not _anything_but_hits(arg, value)
        if op == "numeric":
            return _numeric(arg, value)
        if op == "cidr":
            try:
                return ipaddress.ip_address(str(value)) in ipaddress.ip_network(arg, strict=False)
            except ValueError:
                return False
        raise ValueError(f"unsupported pattern operator {op!r}")
    return False


def _anything_but_hits(arg: Any, value: Any) -> bool:
    if isinstance(arg, list):
        return any(_equal(a, value) for a in arg)
    if isinstance(arg, dict):
        return _match_one(arg, value)
    return _equal(arg, value)


def _numeric(conditions: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    ops = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "=": lambda a, b: a == b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return all(ops[conditions[i]](value, conditions[i + 1]) for i in range(0, len(conditions), 2))


def _equal(expected: Any, value: Any) -> bool:
    if expected is None or value is None:
        return expected is None and value is None
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if isinstance(expected, (int, float)) and isinstance(value, (int, float)):
        return float(expected) == float(value)
    return bool(expected == value)
