"""Every `<!-- doc: local -->` block of the documentation runs as written against a fresh `make dev`
(tools/doc_commands.py; the convention is in docs/conventions.md, "Executable documentation").

One test per file: its local blocks run in order, each with the variables the previous ones set,
in a new user's shell (no AWS variables, no venv on PATH), the default ports replaced by the stack's.
A block that fails, or a command that prints something other than its `# prints:` comment says,
fails the test with the file and line, what ran and what it printed.
"""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.conftest import ROOT, DevStack
from tools import doc_commands

pytestmark = pytest.mark.e2e

#: What a reader of the docs needs on PATH besides bash and make (README, "Prerequisites").
TOOLS = ("curl", "jq", "aws", "openssl")


def _runnable(name: str) -> bool:
    return any(
        block.marker is not None and block.marker.kind == "local"
        for block in doc_commands.blocks(ROOT / name)
    )


@pytest.mark.parametrize("name", [name for name in doc_commands.DOCS if (ROOT / name).exists()])
def test_the_local_commands_of_the_doc_run_as_written(dev_stack: DevStack, name: str) -> None:
    if not _runnable(name):
        pytest.skip(f"{name} has no `<!-- doc: local -->` block")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the docs' commands need {', '.join(missing)} on PATH (README, Prerequisites)")
    ports = dev_stack.ports
    target = doc_commands.Target(
        port=ports.port,
        aws_port=ports.aws_port,
        cdn_port=ports.cdn_port,
        stripe_port=ports.stripe_port,
        state_dir=dev_stack.state_dir,
    )
    outcomes = doc_commands.run_document(ROOT / name, target)
    failed = [outcome for outcome in outcomes if not outcome.ok]
    assert not failed, (
        doc_commands.report(failed[0], target) + f"\n\nthe stack's log:\n{dev_stack.log_tail()}"
    )
