"""Every sample event in events/ runs through its function with `python -m local invoke`, and with
`sam local invoke` for one API and one SQS function where a Docker engine and the Lambda image exist.

`events/<service>.<module>.json` belongs to the function whose handler is `<service>.<module>.lambda_handler`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, LocalStackProcess

pytestmark = pytest.mark.e2e

EVENTS = sorted((ROOT / "events").glob("*.json"))
LAMBDA_IMAGE = "public.ecr.aws/lambda/python:3.13"


def _functions_by_handler(template: dict[str, Any]) -> dict[str, str]:
    return {
        str(r["Properties"].get("Handler")): logical_id
        for logical_id, r in template["Resources"].items()
        if r.get("Type") == "AWS::Lambda::Function"
    }


def _invoke_locally(local_stack: LocalStackProcess, function: str, event: Path) -> tuple[int, Any, str]:
    done = subprocess.run(
        [sys.executable, "-m", "local", "invoke", function, "-e", str(event),
         "--template", str(json.loads((local_stack.state_dir / "state.json").read_text())["template"]),
         "--state-dir", str(local_stack.state_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    try:
        output = json.loads(done.stdout) if done.stdout.strip() else None
    except ValueError:
        output = done.stdout
    return done.returncode, output, done.stderr


@pytest.mark.parametrize("event", EVENTS, ids=[p.stem for p in EVENTS])
def test_sample_event_runs_through_its_function(local_stack: LocalStackProcess, event: Path) -> None:
    handler = f"{event.stem}.lambda_handler"
    function = _functions_by_handler(local_stack.template).get(handler)
    if function is None:
        pytest.skip(f"no function with handler {handler} in the template")
    code, output, stderr = _invoke_locally(local_stack, function, event)
    if isinstance(output, dict) and output.get("errorMessage") == "Unauthorized":
        return  # how a Lambda authorizer denies a token (a sample token cannot stay valid)
    assert code == 0, f"{function} failed on {event.name}: {output}\n{stderr[-3000:]}"
    if isinstance(output, dict) and "statusCode" in output:
        assert output["statusCode"] < 500, f"{event.name}: {output}"


def _sam_unavailable() -> str | None:
    if shutil.which("sam") is None:
        return "the SAM CLI is not installed"
    if shutil.which("docker") is None:
        return "no docker client"
    if subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False).returncode != 0:
        return "no Docker engine is running"
    inspect = subprocess.run(
        ["docker", "image", "inspect", LAMBDA_IMAGE], capture_output=True, timeout=30, check=False
    )
    if inspect.returncode != 0:
        return f"the Lambda base image {LAMBDA_IMAGE} is not available offline"
    return None


def _sqs_consumer_handler(template: dict[str, Any]) -> str | None:
    for mapping in template["Resources"].values():
        if mapping.get("Type") != "AWS::Lambda::EventSourceMapping":
            continue
        source = mapping["Properties"].get("EventSourceArn")
        function = mapping["Properties"].get("FunctionName")
        if not (isinstance(source, dict) and isinstance(function, dict) and "Ref" in function):
            continue
        queue = template["Resources"].get(source.get("Fn::GetAtt", [""])[0], {})
        if queue.get("Type") == "AWS::SQS::Queue":
            return str(template["Resources"][function["Ref"]]["Properties"]["Handler"])
    return None


@pytest.mark.parametrize("kind", ["api", "sqs"])
def test_sam_local_invoke_accepts_the_same_events(local_stack: LocalStackProcess, kind: str) -> None:
    reason = _sam_unavailable()
    if reason:
        pytest.skip(reason)
    template = local_stack.template
    handler = "system.health.lambda_handler" if kind == "api" else _sqs_consumer_handler(template)
    if handler is None:
        pytest.skip("the template has no SQS consumer yet")
    function = _functions_by_handler(template)[handler]
    event = ROOT / "events" / f"{handler.removesuffix('.lambda_handler')}.json"
    if not event.exists():
        pytest.skip(f"no sample event {event.name}")
    template_path = json.loads((local_stack.state_dir / "state.json").read_text())["template"]
    done = subprocess.run(
        ["sam", "local", "invoke", function, "-t", template_path, "-e", str(event), "--skip-pull-image"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
