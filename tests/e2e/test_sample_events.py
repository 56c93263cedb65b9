"""Every sample event in events/ works against `make dev` as it is seeded: `make invoke` runs it
through its function on a freshly seeded stack (started by `make dev`) and it answers what
events/README.md says; every function also runs its sample through `sam local invoke` where Docker,
the SAM CLI, the Lambda base image and the SAM-ready template exist (`make sam-check`; skipped
saying which is missing otherwise).

`events/<service>.<module>.json` belongs to the function whose handler is `<service>.<module>.lambda_handler`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, DevStack, LocalStackProcess
from tests.e2e.test_saga import admin_token

pytestmark = pytest.mark.e2e

EVENTS = sorted((ROOT / "events").glob("*.json"))
#: `| \`<sample>.json\` | <answer> (why) |` rows of events/README.md.
_ROW = re.compile(r"^\|\s*`(?P<sample>[\w.]+\.json)`\s*\|\s*(?P<answer>\S+)")


def _rows() -> dict[str, str]:
    lines = (ROOT / "events" / "README.md").read_text().splitlines()
    return {m["sample"]: line for line in lines if (m := _ROW.match(line))}


def documented_answers() -> dict[str, str]:
    return {sample: str(_ROW.match(line)["answer"]) for sample, line in _rows().items()}  # type: ignore[index]


def function_for(sample: Path) -> str:
    """`FN=` for a sample: its name, unless its row says otherwise (`FN=...`: a shared handler)."""
    named = re.search(r"`FN=(\w+)`", _rows().get(sample.name, ""))
    return named[1] if named else sample.stem


def make_invoke(dev_stack: DevStack, sample: Path) -> tuple[int, Any, str]:
    """`make invoke FN=<service>.<module> EVENT=events/<file>`, as events/README.md says, against
    the stack (its state directory: LOCAL_STATE)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MAKE", "MFLAGS"))}
    env["LOCAL_STATE"] = str(dev_stack.state_dir)
    command = [
        "make",
        "--no-print-directory",
        "invoke",
        f"FN={function_for(sample)}",
        f"EVENT=events/{sample.name}",
    ]
    done = subprocess.run(
        command,
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    try:
        output = json.loads(done.stdout) if done.stdout.strip() else None
    except ValueError:
        output = done.stdout
    return done.returncode, output, done.stderr


def answer_of(output: Any, logs: str) -> str:
    """What a sample answered, in the words of events/README.md."""
    if isinstance(output, dict) and "statusCode" in output:
        return str(output["statusCode"])
    if isinstance(output, dict) and output.get("errorMessage") == "Unauthorized":
        return "Unauthorized"  # how a Lambda authorizer refuses a token
    if isinstance(output, dict) and "policyDocument" in output:
        return "Allow"
    dead_lettered = "sent to the dead-letter queue" in logs
    if isinstance(output, dict) and output.get("batchItemFailures") == [] and not dead_lettered:
        return "ok"
    if output is None and not dead_lettered:
        return "ok"  # a stream or rule consumer that returns nothing
    return f"failed: {output}"


def test_every_sample_has_its_documented_answer_and_every_answer_its_sample() -> None:
    assert set(documented_answers()) == {path.name for path in EVENTS}


@pytest.mark.parametrize("event", EVENTS, ids=[p.stem for p in EVENTS])
def test_sample_event_answers_as_documented_against_the_seeded_stack(
    dev_stack: DevStack, event: Path
) -> None:
    expected = documented_answers().get(event.name)
    assert expected, f"events/README.md does not say what {event.name} answers"
    code, output, stderr = make_invoke(dev_stack, event)
    assert code == 0 or expected == "Unauthorized", (
        f"make invoke failed on {event.name}: {output}\n{stderr[-3000:]}"
    )
    answered = answer_of(output, stderr)
    assert answered == expected, (
        f"{event.name} answered {answered} against the seeded `make dev`, events/README.md says {expected}:"
        f"\n{json.dumps(output, indent=2)[:2000] if isinstance(output, dict) else output}\n{stderr[-3000:]}"
    )


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
