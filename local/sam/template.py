"""A SAM-ready copy of the synthesized template, for this machine's architecture.

`make synth` writes the template `cdk deploy` ships (`cdk.out/Commerce-<stage>.template.json`, code
assets with their bytecode). `sam local` reads it as CloudFormation, but as it is it cannot run it
on every machine: the functions and the deps layers are arm64 (on an x86_64 machine under emulation a
container takes ~35 s to start and `cryptography`'s native module does not load), and `--env-vars`
only sets variables a function declares, so nothing could point it at the local stack. This module
writes a copy that differs only there, and leaves the deployed template alone:

- every function: `Architectures` = this machine's; the endpoint variables the local stack gives
  its workers (`LOCAL_ENDPOINT_VARIABLES`) declared, empty, where a function does not declare them
  already (`python -m local.sam.run` fills them in);
- the deps layers (one per dependency group: `DepsLayer` is `core`, `Deps<Group>Layer` the others,
  cdk/deps_layers.py): on an arm64 machine the deployed ones; elsewhere the same layers built for
  this architecture (`make sam-template` builds them with the deployed layers' recipe: the pins of
  `layers/deps/requirements.txt`, one resolution split into the same groups, Powertools, pydantic
  and the X-Ray SDK included, boto3 and botocore left to the runtime, bytecode), each from
  `<deps-layers>/<group>`. Every layer the functions use is one of the template's own assets, so
  SAM downloads nothing;
- asset paths made absolute, so the copy can live in `.local/sam/`.

    python -m local.sam.template [--source cdk.out/Commerce-dev.template.json] [--out <file>]
                                 [--deps-layers <folder with <group>/python/ per group>]
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

from local.sam.image import ROOT, host_arch

DEFAULT_SOURCE = ROOT / "cdk.out" / "Commerce-dev.template.json"
SAM_DIR = ROOT / ".local" / "sam"
DEFAULT_OUT = SAM_DIR / "template.json"
DEPLOYED_ARCH = "arm64"
# The construct paths of the deps layers (cdk/constructs/platform.py): `DepsLayer` ships the group
# `core`, `Deps<Group>Layer` the group `<group>`; their assets are pip-built for arm64.
DEPS_LAYER_PATH = re.compile(r"/Platform/Deps(?P<group>[A-Za-z0-9]*)Layer/Resource$")
# What the local stack points at itself (local/runtime.py, local/stack.py); `run` fills the values in.
LOCAL_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "STRIPE_API_BASE")


def host_deps_layers(arch: str) -> Path:
    """Where `make sam-template` builds the deps layers for `arch`, one `<group>/python` each (not
    for arm64: those are the deployed ones)."""
    return SAM_DIR / "layers" / f"deps-{arch}"


def deps_group(cdk_path: str) -> str | None:
    """The dependency group a layer's construct path ships, or None for any other layer."""
    match = DEPS_LAYER_PATH.search(cdk_path)
    if match is None:
        return None
    return match["group"].lower() or "core"


def sam_ready(
    template: dict[str, Any], source_dir: Path, arch: str, deps_layers: Path | None
) -> dict[str, Any]:
    """The SAM-ready copy of `template` (whose asset paths are relative to `source_dir`); each deps
    layer's asset replaced by `deps_layers/<its group>` when `deps_layers` is given."""
    result = copy.deepcopy(template)
    resources: dict[str, Any] = result["Resources"]
    for resource in resources.values():
        metadata = resource.get("Metadata") or {}
        if "aws:asset:path" in metadata:
            metadata["aws:asset:path"] = str((source_dir / metadata["aws:asset:path"]).resolve())
        if resource.get("Type") == "AWS::Lambda::LayerVersion":
            resource["Properties"]["CompatibleArchitectures"] = [arch]
            group = deps_group(str(metadata.get("aws:cdk:path", "")))
            if group is not None and deps_layers is not None:
                metadata["aws:asset:path"] = str((deps_layers / group).resolve())
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        props["Architectures"] = [arch]
        variables = props.setdefault("Environment", {}).setdefault("Variables", {})
        for name in LOCAL_ENDPOINT_VARIABLES:
            variables.setdefault(name, "")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sam.template", description=__doc__)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the synthesized template")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--arch", default=None, help="x86_64 or arm64 (default: this machine's)")
    parser.add_argument(
        "--deps-layers",
        type=Path,
        default=None,
        help="the deps layers built for --arch, <group>/python each (not for arm64)",
    )
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"{args.source} does not exist: run `make synth` first", file=sys.stderr)
        return 2
    arch = args.arch or host_arch()
    deps = None
    if arch != DEPLOYED_ARCH:
        deps = args.deps_layers or host_deps_layers(arch)
    template = json.loads(args.source.read_text())
    if deps is not None:
        groups = {
            group
            for resource in template["Resources"].values()
            if (group := deps_group(str((resource.get("Metadata") or {}).get("aws:cdk:path", ""))))
        }
        missing = sorted(g for g in groups if not (deps / g / "python").is_dir())
        if missing:
            print(
                f"no {arch} deps layers {', '.join(missing)} in {deps}: `make sam-template` builds them",
                file=sys.stderr,
            )
            return 2
    ready = sam_ready(template, args.source.parent, arch, deps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(ready, indent=1) + "\n")
    functions = sum(1 for r in ready["Resources"].values() if r.get("Type") == "AWS::Lambda::Function")
    print(f"wrote {args.out} ({functions} functions, {arch})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
