"""Package size per function (unzipped, what Lambda extracts into /var/task and /opt): its code
asset, the commerce layer and its dependency layers, before the split (one deps layer with every
dependency, the build leftovers included) and after (cdk/deps_layers.py: only the groups it imports).

    python -m benchmarks.package_size [--template .local/cdk.out/Commerce-dev.template.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "layers" / "deps" / "build"
TEMPLATE = ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json"
MB = 1024 * 1024


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def measure(template_path: Path = TEMPLATE) -> dict[str, Any]:
    resources = json.loads(template_path.read_text())["Resources"]
    report = json.loads((BUILD_DIR / "groups.json").read_text())
    # The template's layers (asset paths): the dependency groups under layers/deps/build, and ours.
    layer_paths = {
        lid: Path(r["Metadata"]["aws:asset:path"])
        for lid, r in resources.items()
        if r["Type"] == "AWS::Lambda::LayerVersion" and "aws:asset:path" in r.get("Metadata", {})
    }
    group_of = {
        lid: path.name for lid, path in layer_paths.items() if path.parent.resolve() == BUILD_DIR.resolve()
    }
    groups = {path.name: _size(path) for lid, path in layer_paths.items() if lid in group_of}
    before_deps = sum(groups.values()) + int(report["leftover_bytes"])
    commerce = _size(ROOT / "layers" / "commerce" / "python")
    rows = []
    for lid, resource in sorted(resources.items()):
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        handler_module = resource["Properties"]["Handler"].rpartition(".")[0]
        code = _size(ROOT / "functions" / handler_module.split(".")[0])
        needed = [
            group_of[layer["Ref"]] for layer in resource["Properties"]["Layers"] if layer["Ref"] in group_of
        ]
        after = code + commerce + sum(groups[g] for g in needed)
        before = code + commerce + before_deps
        rows.append(
            {
                "function": lid,
                "groups": needed,
                "before_bytes": before,
                "after_bytes": after,
            }
        )
    return {
        "group_bytes": groups,
        "dropped": report["dropped"],
        "leftover_bytes": report["leftover_bytes"],
        "commerce_layer_bytes": commerce,
        "functions": rows,
        "total_before_bytes": sum(r["before_bytes"] for r in rows),
        "total_after_bytes": sum(r["after_bytes"] for r in rows),
    }


def print_table(report: dict[str, Any]) -> None:
    groups = ", ".join(f"{g} {b / MB:.1f} MB" for g, b in report["group_bytes"].items())
    print(
        f"\nPackage size per function (unzipped; code + commerce layer + deps): dependency layers {groups}; "
        f"left out: {', '.join(report['dropped'])} ({report['leftover_bytes'] / MB:.1f} MB)"
    )
    print(f"{'function':<46} {'before MB':>10} {'after MB':>10}  layers")
    for row in report["functions"]:
        print(
            f"{row['function']:<46} {row['before_bytes'] / MB:>10.1f} {row['after_bytes'] / MB:>10.1f}  "
            f"{'+'.join(row['groups'])}"
        )
    before, after = report["total_before_bytes"] / MB, report["total_after_bytes"] / MB
    print(f"{'all functions':<46} {before:>10.1f} {after:>10.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument("--out")
    args = parser.parse_args()
    report = measure(Path(args.template))
    print_table(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
