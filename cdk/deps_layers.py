"""The third-party dependencies as one Lambda layer per group, each function given only the groups
its code imports.

    python -m cdk.deps_layers split <pip target dir> <layers/deps/build>   (make layer)

`make layer` pip-installs layers/deps/requirements.txt once, for arm64/cp313 (one resolution, so
the groups agree on every shared version), and `split` sorts the distributions into
`layers/deps/build/<group>/python`: each group takes its requirements and everything they need
that an earlier group has not taken. What the Lambda runtime provides (boto3, botocore, s3transfer)
is never shipped, and neither is what only it needed (python-dateutil, six: botocore's).

Which groups a function gets follows from its imports (`groups_for`): the handler's module and
every module of ours it imports (its service package, the commerce layer), lazily or not, read with
`ast` (imports under `if TYPE_CHECKING:` are for the type checker only). An import no group and no
runtime provides fails the synth. tests/e2e/test_snapstart_priming.py keeps the derivation honest:
no function loads a module of a group it was not given.
"""

from __future__ import annotations

import ast
import json
import shutil
import sys
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

from cdk.config import ROOT

FUNCTIONS_DIR = ROOT / "functions"
COMMERCE_DIR = ROOT / "layers" / "commerce" / "python"
BUILD_DIR = ROOT / "layers" / "deps" / "build"

#: group → its top-level requirements (distribution names of layers/deps/requirements.txt).
#: `core` goes to every function (Powertools, pydantic and the X-Ray SDK are on every path).
GROUPS: dict[str, tuple[str, ...]] = {
    "core": ("aws-lambda-powertools", "aws-xray-sdk", "pydantic", "snapshot-restore-py"),
    "tokens": ("pyjwt", "cryptography"),
    "stripe": ("stripe",),
}
#: The import names our code uses → the group that ships them.
IMPORT_GROUPS: dict[str, str] = {
    "aws_lambda_powertools": "core",
    "aws_xray_sdk": "core",
    "pydantic": "core",
    "snapshot_restore_py": "core",
    "jwt": "tokens",
    "cryptography": "tokens",
    "stripe": "stripe",
}
#: In the Lambda Python runtime already; a layer copy would shadow the runtime's tested set.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
#: Import names of the runtime's own distributions (the runtime provides them with botocore).
RUNTIME_IMPORTS = frozenset({"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "jmespath", "six"})


def _normalized(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _requirements(dist: metadata.Distribution) -> list[str]:
    names = []
    for requirement in dist.requires or []:
        spec, _, marker = requirement.partition(";")
        if "extra ==" in marker:
            continue  # extras are named as their own requirements in requirements.txt
        name = spec.strip().split()[0]
        for stop in "<>=!~[(":
            name = name.split(stop)[0]
        names.append(_normalized(name))
    return names


def plan(staging: Path) -> tuple[dict[str, list[str]], list[str]]:
    """{group: its distributions} and the distributions no group ships, for a pip target dir."""
    dists = {_normalized(d.metadata["Name"]): d for d in metadata.distributions(path=[str(staging)])}
    taken: dict[str, str] = {}
    for group, roots in GROUPS.items():
        pending = [_normalized(root) for root in roots]
        while pending:
            name = pending.pop()
            if name in taken or name in RUNTIME_PROVIDED or name not in dists:
                continue
            taken[name] = group
            pending.extend(_requirements(dists[name]))
    groups = {group: sorted(n for n, g in taken.items() if g == group) for group in GROUPS}
    return groups, sorted(set(dists) - set(taken))


def _files(dist: metadata.Distribution) -> Iterable[Path]:
    for entry in dist.files or []:
        yield Path(str(dist.locate_file(entry)))


def split(staging: Path, build: Path) -> dict[str, object]:
    """Move each group's distributions into `build/<group>/python`; what no group ships is left out."""
    groups, dropped = plan(staging)
    dists = {_normalized(d.metadata["Name"]): d for d in metadata.distributions(path=[str(staging)])}
    sizes: dict[str, int] = {}
    for group, names in groups.items():
        target = build / group / "python"
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            for path in _files(dists[name]):
                if not path.is_file() or "__pycache__" in path.parts:
                    continue
                relative = path.relative_to(staging.resolve() if path.is_absolute() else staging)
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
        sizes[group] = _size(target)
    leftovers = [name for name in dropped if name not in RUNTIME_PROVIDED]
    leftover_size = sum(p.stat().st_size for name in leftovers for p in _files(dists[name]) if p.is_file())
    # `leftover_bytes`: what the single layer used to ship and no group ships now (the runtime's
    # own botocore was never shipped).
    report = {"groups": groups, "dropped": dropped, "bytes": sizes, "leftover_bytes": leftover_size}
    (build / "groups.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---- which groups a function imports --------------------------------------------------------------


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    root = COMMERCE_DIR if parts[0] == "commerce" else FUNCTIONS_DIR
    if parts[0] != "commerce" and not (FUNCTIONS_DIR / parts[0]).is_dir():
        return None
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _type_checking_only(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                ids.update(id(sub) for sub in ast.walk(child))
    return ids


@cache
def _imports_of(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(modules of ours it imports, third-party top-level names it imports) for one file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = _type_checking_only(tree)
    ours: set[str] = set()
    foreign: set[str] = set()

    def note(name: str) -> None:
        if _module_file(name) is not None:
            ours.add(name)
        elif name.split(".")[0] in ("commerce", *_service_packages()):
            return  # a name inside one of our modules (`from commerce.aws import kms`)
        else:
            foreign.add(name.split(".")[0])

    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                note(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            note(node.module)
            for alias in node.names:
                if _module_file(f"{node.module}.{alias.name}") is not None:
                    ours.add(f"{node.module}.{alias.name}")
    return tuple(sorted(ours)), tuple(sorted(foreign))


@cache
def _service_packages() -> tuple[str, ...]:
    return tuple(sorted(p.name for p in FUNCTIONS_DIR.iterdir() if (p / "__init__.py").is_file()))


def third_party_imports(handler_module: str) -> set[str]:
    """Every third-party top-level name the module and the modules of ours it imports import."""
    seen: set[str] = set()
    foreign: set[str] = set()
    pending = [handler_module]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name)
        if path is None:
            continue
        ours, theirs = _imports_of(path)
        pending.extend(ours)
        # A package's __init__ runs before any of its modules.
        parent = name.rpartition(".")[0]
        if parent:
            pending.append(parent)
        foreign.update(theirs)
    return {n for n in foreign if n not in sys.stdlib_module_names and n != "__future__"}


def groups_for(handler_module: str) -> list[str]:
    """The dependency groups a function whose handler lives in `handler_module` imports, in
    GROUPS order (`core` always)."""
    needed = {"core"}
    for name in third_party_imports(handler_module):
        if name in RUNTIME_IMPORTS:
            continue
        if name not in IMPORT_GROUPS:
            raise ValueError(
                f"{handler_module} imports {name!r}, which no dependency layer ships "
                "(add it to layers/deps/requirements.txt and to a group in cdk/deps_layers.py)"
            )
        needed.add(IMPORT_GROUPS[name])
    return [group for group in GROUPS if group in needed]


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "split":
        print("usage: python -m cdk.deps_layers split <pip target dir> <build dir>", file=sys.stderr)
        return 2
    report = split(Path(argv[1]), Path(argv[2]))
    for group, names in report["groups"].items():  # type: ignore[attr-defined]
        print(f"{group}: {', '.join(names)}")
    print(f"not shipped (the runtime has them or only it needed them): {', '.join(report['dropped'])}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
