"""Every sample event in events/ runs through its function with `python -m local invoke`, and through
`sam local invoke` where Docker, the SAM CLI, the Lambda base image and the SAM-ready template exist
(`make sam-check`; skipped saying which is missing otherwise).

`events/<service>.<module>.json` belongs to the function whose handler is `<service>.<module>.lambda_handler`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, LocalStackProcess
from tests.e2e.test_saga import admin_token

pytestmark = pytest.mark.e2e

EVENTS = sorted((ROOT / "events").glob("*.json"))


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


@pytest.fixture(scope="module")
def sam_results(
    sam_local_stack: LocalStackProcess, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Every function of the template invoked once through `sam local invoke` with its events/ sample,
    against a running local stack: logical id → (handler, event, stdout, stderr, seconds).

    Three at a time: each invocation is mostly SAM rebuilding its image with the template's layers
    and starting a container, and SAM builds one image at a time for them all."""
    from concurrent.futures import ThreadPoolExecutor

    from local.sam import run

    events_dir = tmp_path_factory.mktemp("sam-events")
    env_vars = run.write_env_vars(sam_local_stack.state_dir, events_dir / "env.json")
    work = []
    for handler, function in sorted(_all_functions_by_handler(sam_local_stack.template)):
        event = ROOT / "events" / f"{handler.removesuffix('.lambda_handler')}.json"
        if not event.exists():
            continue
        if handler == "identity.authorizer.lambda_handler":
            # The seeded admin's token, so the authorizer's sample must allow instead of denying.
            sample = json.loads(event.read_text())
            sample["authorizationToken"] = f"Bearer {admin_token(sam_local_stack)}"
            event = events_dir / event.name
            event.write_text(json.dumps(sample))
        work.append((function, handler, event))

    def one(item: tuple[str, str, Path]) -> tuple[str, tuple[str, Path, str, str, float]]:
        function, handler, event = item
        began = time.monotonic()
        done = run.invoke(function, event, env_vars=env_vars, state_dir=sam_local_stack.state_dir)
        return function, (handler, event, done.stdout, done.stderr, time.monotonic() - began)

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(one, work))


def _all_functions_by_handler(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(handler, logical id) of every function; several functions may share a handler (outbox relays)."""
    return [
        (str(r["Properties"].get("Handler")), logical_id)
        for logical_id, r in template["Resources"].items()
        if r.get("Type") == "AWS::Lambda::Function"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("event", EVENTS, ids=[p.stem for p in EVENTS])
def test_sam_local_invoke_runs_every_function_with_its_sample(
    sam_results: dict[str, Any], sam_local_stack: LocalStackProcess, event: Path
) -> None:
    from local.sam.run import payload, verdict

    handler = f"{event.stem}.lambda_handler"
    functions = [fn for h, fn in _all_functions_by_handler(sam_local_stack.template) if h == handler]
    if not functions:
        pytest.skip(f"no function with handler {handler} in the template")
    for function in functions:
        _, _, stdout, stderr, seconds = sam_results[function]
        # `sam local invoke` exits 0 even when the function raised, timed out or never answered: judge
        # the payload and the log instead.
        failure = verdict(stdout, stderr)
        assert failure is None, f"{function} ({seconds:.1f} s): {failure}\n{stdout[-2000:]}\n{stderr[-3000:]}"
        if handler == "identity.authorizer.lambda_handler":
            result = payload(stdout)
            statements = result["policyDocument"]["Statement"]
            assert {s["Effect"] for s in statements} == {"Allow"}, result
