"""The shared AWS adapters never import boto3 (its import is ~110 ms of cold start, decision 11).

Each probe runs in a fresh interpreter with only the commerce layer on its path (PYTHONPATH), so
nothing a test runner or another test loaded can hide an import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBES = {
    "converting items both ways": (
        "from commerce.items import to_attribute_values, plain_item;"
        "plain_item(to_attribute_values({'a': 1, 'b': ['x'], 'c': {'d': None}}))"
    ),
    "the parameters and secrets reader": "import commerce.parameters",
    "the client factory": "import commerce.aws",
}


@pytest.mark.parametrize("code", PROBES.values(), ids=PROBES.keys())
def test_this_adapter_loads_neither_boto3_nor_powertools_parameters(code: str) -> None:
    probe = (
        f"import sys; {code}; "
        "print(sorted(m for m in ('boto3', 's3transfer', 'aws_lambda_powertools.utilities.parameters')"
        " if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        # As in Lambda (LAMBDA_TASK_ROOT keeps the project's .pth out): the layer and nothing else.
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))},
            "LAMBDA_TASK_ROOT": str(ROOT / "layers" / "commerce" / "python"),
            "PYTHONPATH": str(ROOT / "layers" / "commerce" / "python"),
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
