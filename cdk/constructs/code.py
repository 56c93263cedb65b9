"""Lambda code assets that carry their CPython 3.13 bytecode, bundled locally (no Docker).

Each asset is the source folder minus `exclude`, copied and compiled by cdk/bytecode.py. The local
stack's synth (`aws:cdk:disable-asset-staging`) keeps pointing at the source folders instead, so
edits show up live and the developer's interpreter keeps its own bytecode.
"""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.bytecode import build_tag, compile_tree

DISABLE_STAGING = "aws:cdk:disable-asset-staging"
NO_BYTECODE = ["**/__pycache__", "**/*.pyc"]


def excluded(name: str, patterns: list[str]) -> bool:
    """CDK's asset `exclude` for the patterns this app uses: each matches a name at any depth."""
    return any(fnmatch.fnmatchcase(name, pattern.removeprefix("**/")) for pattern in patterns)


@jsii.implements(cdk.ILocalBundling)
class _CopyAndCompile:
    """Local bundling: copy the source (minus `exclude`) and compile it. Never falls back to Docker."""

    def __init__(self, source: Path, exclude: list[str], files: dict[str, Path]) -> None:
        self._source = source
        self._exclude = exclude
        self._files = files

    # jsii hands the bundling options over positionally, whatever the typed signature says.
    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        def ignore(_directory: str, names: list[str]) -> set[str]:
            return {name for name in names if excluded(name, self._exclude)}

        shutil.copytree(self._source, output_dir, ignore=ignore, dirs_exist_ok=True)
        for name, path in self._files.items():
            shutil.copyfile(path, Path(output_dir) / name)
        compile_tree(Path(output_dir))
        return True


def files_tag(files: dict[str, Path]) -> str:
    """The names and contents of the files added from outside the source folder: the asset's source
    fingerprint does not see them, so they join its bundling options (which it does see)."""
    digest = hashlib.sha256()
    for name, path in sorted(files.items()):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_asset(
    scope: Construct, source: Path, exclude: list[str], files: dict[str, Path] | None = None
) -> lambda_.Code:
    """A Lambda code asset for `source` (minus `exclude`) that carries its CPython 3.13 bytecode.

    `files` adds files from outside `source` (asset-relative name → file). The local stack's synth
    keeps pointing at `source` itself, without them: code that reads one falls back to its origin."""
    exclude = [*exclude, *NO_BYTECODE]
    files = files or {}
    if scope.node.try_get_context(DISABLE_STAGING):
        return lambda_.Code.from_asset(str(source), exclude=exclude)
    return lambda_.Code.from_asset(
        str(source),
        exclude=exclude,
        bundling=cdk.BundlingOptions(
            # The bundling options are part of the asset hash, so code built with bytecode and code
            # built as source only (no CPython 3.13 here) never share one: a deploy replaces it.
            environment={
                "COMMERCE_BUILD": build_tag(),
                **({"COMMERCE_FILES": files_tag(files)} if files else {}),
            },
            # Required by the API; never pulled, since the local bundler always bundles.
            image=cdk.DockerImage.from_registry("public.ecr.aws/sam/build-python3.13"),
            local=_CopyAndCompile(source, exclude, files),
        ),
    )
