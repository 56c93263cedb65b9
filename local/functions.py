"""Lambda functions as the template declares them: handler, runtime limits, environment, code paths."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.template import ACCOUNT_ID, REGION, Resolver, Template, TemplateError

log = logging.getLogger("local.functions")


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    environment: dict[str, str]
    code_path: str
    layer_paths: list[str] = field(default_factory=list)
    #: SnapStart on published versions: the local stack initializes it as Lambda does for a
    #: snapshot (init type `snap-start`, before-snapshot hooks, then after-restore hooks).
    snap_start: bool = False

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    @property
    def label(self) -> str:
        return self.logical_id


def load_functions(template: Template, resolver: Resolver) -> dict[str, FunctionSpec]:
    """Every AWS::Lambda::Function with local code (asset metadata or an inline path)."""
    layers: dict[str, str] = {}
    for layer in template.of_type("AWS::Lambda::LayerVersion"):
        if layer.asset_path:
            try:
                layers[str(resolver.ref(layer.logical_id))] = layer.asset_path
            except TemplateError:
                continue
    functions: dict[str, FunctionSpec] = {}
    for resource in template.of_type("AWS::Lambda::Function"):
        props = resource.properties
        code_path = resource.asset_path
        if not code_path:
            log.info("function %s has no local code (no aws:asset:path); not served", resource.logical_id)
            continue
        try:
            if not resolver.is_enabled(resource):
                continue
            env_vars = resolver.resolve((props.get("Environment") or {}).get("Variables") or {})
            layer_refs = resolver.resolve(props.get("Layers") or [])
            name = str(resolver.ref(resource.logical_id))
            arn = str(resolver.get_att(resource.logical_id, "Arn"))
        except TemplateError as exc:
            log.warning("function %s not served: %s", resource.logical_id, exc)
            continue
        layer_paths = []
        for ref in layer_refs:
            path = layers.get(str(ref))
            if path:
                layer_paths.append(str(Path(path) / "python"))
            # Layers given by ARN (none in our templates) are provided by the venv.
        functions[resource.logical_id] = FunctionSpec(
            logical_id=resource.logical_id,
            name=name,
            arn=arn or f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
            handler=str(props.get("Handler", "index.handler")),
            runtime=str(props.get("Runtime", "python3.13")),
            memory_mb=int(props.get("MemorySize", 128)),
            timeout_s=float(props.get("Timeout", 3)),
            environment={k: _env_str(v) for k, v in env_vars.items()},
            code_path=code_path,
            layer_paths=layer_paths,
            snap_start=(props.get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions",
        )
    return functions


def find_function(functions: dict[str, FunctionSpec], query: str) -> FunctionSpec:
    """By logical id, physical name, handler string, or a unique case-insensitive part of any of them."""
    for spec in functions.values():
        if query in (spec.logical_id, spec.name, spec.handler, spec.arn):
            return spec
    needle = query.lower()
    hits = [
        spec
        for spec in functions.values()
        if needle in spec.logical_id.lower() or needle in spec.handler.lower() or needle in spec.name.lower()
    ]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise KeyError(f"no function matches {query!r}; known: {', '.join(sorted(functions))}")
    raise KeyError(f"{query!r} is ambiguous: {', '.join(sorted(s.logical_id for s in hits))}")


def function_by_arn(functions: dict[str, FunctionSpec], text: str) -> FunctionSpec | None:
    """The function whose ARN (or `function:<name>`) appears in `text`, e.g. an integration URI."""
    for spec in functions.values():
        if spec.arn in text or f"function:{spec.name}/" in text or text.endswith(f"function:{spec.name}"):
            return spec
    return None


def _env_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
