"""The tracer instruments what our functions call, and imports nothing else at cold start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json, sys
import commerce.observability as o
from aws_xray_sdk.core import patcher
print(json.dumps({
    "requests": "requests" in sys.modules,
    "sqlite3": "sqlite3" in sys.modules,
    "patched": sorted(patcher._PATCHED_MODULES),
    "disabled": o.tracer.disabled,
}))
"""


def _lambda_env() -> dict[str, str]:
    """What Lambda sets for a traced function (tracing on, no daemon needed for import)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "PYTHON"))}
    env.update(
        PYTHONPATH=str(ROOT / "layers" / "commerce" / "python"),
        AWS_LAMBDA_FUNCTION_NAME="probe",
        LAMBDA_TASK_ROOT=str(ROOT / "functions"),
        AWS_REGION="us-east-1",
        AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR",
        POWERTOOLS_SERVICE_NAME="probe",
    )
    return env


def test_the_tracer_patches_botocore_only_and_imports_no_other_instrumentable_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=_lambda_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["disabled"] is False
    assert probe["patched"] == ["botocore"]
    # Powertools' default patch_all() would import both into every cold start.
    assert probe["requests"] is False
    assert probe["sqlite3"] is False
