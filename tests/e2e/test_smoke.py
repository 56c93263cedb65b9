"""`make smoke` against the local stack, as `make test` runs it: through the API and through the
local CDN (the template's CloudFront behaviours), from the stack's outputs file."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.e2e.conftest import ROOT, STACK_NAME, LocalStackProcess


def test_the_smoke_suite_passes_through_the_api_and_the_cdn(local_stack: LocalStackProcess) -> None:
    assert local_stack.outputs["CdnUrl"] != local_stack.outputs["ApiUrl"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "SMOKE_OUTPUTS": str(local_stack.state_dir / "outputs.json"),
        "SMOKE_STACK": STACK_NAME,
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/smoke", "-q", "-p", "no:cacheprovider", "-rA"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.findall(r"^PASSED tests/smoke/test_smoke\.py::(\w+)\[(\w+)\]", result.stdout, re.M)
    assert {entrance for _, entrance in passed} == {"ApiUrl", "CdnUrl"}
    assert len(passed) == 2 * 6, result.stdout[-3000:]


def test_preflight_reads_the_local_stack_and_names_what_a_real_deploy_still_needs(
    local_stack: LocalStackProcess,
) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}}
    env.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"})
    result = subprocess.run(
        [
            sys.executable, "-m", "tools.preflight", "--stage", "dev", "--region", "us-east-1",
            "--endpoint-url", local_stack.aws_endpoint,
            "--outputs", str(local_stack.state_dir / "outputs.json"),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^MISSING +Stripe secret still holds the placeholder key", result.stdout, re.M)
    assert "aws secretsmanager put-secret-value" in result.stdout
    assert re.search(r"^OK +SES identity dev\.commerce\.example verified", result.stdout, re.M)
