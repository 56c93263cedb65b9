"""The skeleton holds (docs/conventions.md, "One skeleton"), checked from the code's own imports.

Every `import` statement of every project file counts: module level, inside functions and under
`TYPE_CHECKING` alike, because a deferred import is still a dependency. Relative imports are not
used in this project, so every import names its module in full.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
LAYER = ROOT / "layers" / "commerce" / "python"
#: Top-level folders and what each may import from the others (its "downward" neighbours).
FOLDERS: dict[str, set[str]] = {
    "layers": set(),
    "functions": {"layers"},
    "cdk": {"layers"},
    "local": set(),
    "tools": {"layers", "functions", "local"},
    "benchmarks": {"layers", "functions", "local"},
    "tests": {"layers", "functions", "cdk", "local", "tools", "benchmarks"},
    "app.py": {"cdk"},
}
SERVICES = sorted(path.name for path in FUNCTIONS.iterdir() if (path / "__init__.py").exists())
#: The modules of a service that hold its rules and use cases: they know no AWS SDK, no HTTP edge.
CORE_MODULES = ("domain", "service", "ports")
FORBIDDEN_IN_CORE = ("boto3", "botocore", "commerce.api", "aws_lambda_powertools.event_handler")


def project_files() -> Iterator[Path]:
    for folder in ("layers/commerce/python", "functions", "cdk", "local", "tools", "benchmarks", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if "fixtures" not in path.parts and "__pycache__" not in path.parts:
                yield path
    yield ROOT / "app.py"


def module_name(path: Path) -> str:
    for base in (LAYER, FUNCTIONS, ROOT):
        if path.is_relative_to(base):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            return ".".join(parts)
    raise AssertionError(path)


def folder_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in project_files()}


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def project_imports(path: Path) -> set[str]:
    """The project modules `path` imports (a `from x import y` counts as x, or x.y if y is a module)."""
    known = modules()
    return {name for name in imported_names(path) if name in known and name != module_name(path)}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_sees_the_project() -> None:
    graph = {name: project_imports(path) for name, path in modules().items()}
    assert "orders.place_order" in graph
    assert "orders.wiring" in graph["orders.place_order"]
    assert "commerce.api" in graph["orders.place_order"]


def test_no_import_cycle_between_files() -> None:
    graph = {name: project_imports(path) for name, path in modules().items()}
    # A package's __init__ is imported with any of its modules: that is not a cycle of ours.
    for name, deps in graph.items():
        graph[name] = {dep for dep in deps if not name.startswith(dep + ".")}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph) or [])}"


def test_top_level_folders_depend_downward_only() -> None:
    wrong = []
    for path in modules().values():
        folder = folder_of(path)
        for dep in project_imports(path):
            target = folder_of(modules()[dep])
            if target != folder and target not in FOLDERS[folder]:
                wrong.append(f"{path.relative_to(ROOT)} ({folder}) imports {dep} ({target})")
    assert not wrong, "\n".join(wrong)
    graph = {folder: allowed for folder, allowed in FOLDERS.items()}
    assert find_cycle(graph) is None


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_core_knows_no_sdk_no_http_edge_and_no_other_service(service: str) -> None:
    core = [FUNCTIONS / service / f"{name}.py" for name in CORE_MODULES]
    assert (FUNCTIONS / service / "service.py").exists(), f"{service} has no use-case module (service.py)"
    others = [other for other in SERVICES if other != service]
    offenders = []
    for path in core:
        if not path.exists():
            continue
        for name in imported_names(path):
            if name.startswith(FORBIDDEN_IN_CORE) or name.split(".")[0] in others:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
            if (
                name.split(".")[0] == service
                and name.split(".")[1:2]
                and name.split(".")[1]
                not in (
                    *CORE_MODULES,
                    "models",
                    "passwords",
                )
            ):
                offenders.append(f"{path.relative_to(ROOT)} imports the adapter or handler {name}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_skeleton(service: str) -> None:
    folder = FUNCTIONS / service
    for name in ("service.py", "ports.py", "wiring.py"):
        assert (folder / name).exists(), f"functions/{service}/{name} is missing"


def test_no_project_file_edits_sys_path_to_import_the_project() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in project_files()
        if "sys.path.insert" in path.read_text() and path != Path(__file__)
    ]
    assert not offenders


def test_every_lambda_entry_point_wears_the_shared_wrapper() -> None:
    """`lambda_handler` is made by http_handler / consumer / instrumented, never a decorator stack."""
    offenders = []
    for path in FUNCTIONS.glob("*/*.py"):
        source = path.read_text()
        if "lambda_handler" not in source:
            continue
        tree = ast.parse(source)
        assigned = [
            node
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "lambda_handler" for t in node.targets)
        ]
        wrapped = any(
            isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in {"http_handler", "consumer", "instrumented"}
            for node in assigned
        )
        if not wrapped or "inject_lambda_context" in source:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
