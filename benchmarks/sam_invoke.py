"""`make invoke` vs `sam local invoke`: seconds per invoke of the same functions and samples, side by side.

Both run one function once, as a developer does, against the same running local stack
(`make dev LISTEN=<Docker bridge gateway>`): `python -m local invoke` in a fresh worker process,
`sam local invoke` in a fresh container (SAM also rebuilds its image with the template's layers on every
invoke). Rounds interleave the two, so the machine's noise falls on both; medians with min-max.
Not part of `make test` or `make bench` (it needs Docker): run it by hand.

    python -m benchmarks.sam_invoke [--rounds 3] [--functions health,list_products,reserve_stock]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from local.functions import load_functions
from local.sam import run
from local.stack import attach_resolver
from local.template import Template

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".local"
DEFAULT_FUNCTIONS = "health,list_products,get_me,reserve_stock"


def _local(function: str, event: Path) -> tuple[float, bool]:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "local", "invoke", function, "-e", str(event), "--state-dir", str(STATE_DIR)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return time.monotonic() - began, done.returncode == 0


def _sam(function: str, event: Path, env_vars: Path) -> tuple[float, bool]:
    began = time.monotonic()
    done = run.invoke(function, event, env_vars=env_vars, state_dir=STATE_DIR)
    return time.monotonic() - began, run.verdict(done.stdout, done.stderr) is None


def _cell(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):6.2f} ({min(seconds):.2f}-{max(seconds):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sam_invoke", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--functions", default=DEFAULT_FUNCTIONS, help="comma-separated, as make invoke takes them"
    )
    args = parser.parse_args(argv)
    reason = run.sam_unavailable()
    if reason:
        print(f"cannot run sam local here: {reason}", file=sys.stderr)
        return 2
    try:
        env_vars = run.write_env_vars(STATE_DIR, STATE_DIR / "sam" / "env.json")
        targets = [(query, run.resolve_function(STATE_DIR, query)) for query in args.functions.split(",")]
    except run.SamError as exc:
        print(f"sam: {exc}", file=sys.stderr)
        return 2
    template = Template.load(ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json")
    attached = attach_resolver(template, STATE_DIR)
    if attached is None:
        print("no running local stack: start one with `make dev LISTEN=<address>`", file=sys.stderr)
        return 2
    functions = load_functions(template, attached[0])
    rows = []
    for query, logical_id in targets:
        handler = functions[logical_id].handler
        event = ROOT / "events" / f"{handler.removesuffix('.lambda_handler')}.json"
        local_s, sam_s, failures = [], [], 0
        for _ in range(args.rounds):
            seconds, ok = _local(logical_id, event)
            local_s.append(seconds)
            failures += not ok
            seconds, ok = _sam(logical_id, event, env_vars)
            sam_s.append(seconds)
            failures += not ok
        rows.append((query, local_s, sam_s, failures))
    print(f"{'function':<16} {'make invoke s':>22} {'sam local invoke s':>22} {'ratio':>6} failed")
    for query, local_s, sam_s, failures in rows:
        ratio = statistics.median(sam_s) / statistics.median(local_s)
        print(f"{query:<16} {_cell(local_s):>22} {_cell(sam_s):>22} {ratio:6.1f} {failures}")
    return 1 if any(row[3] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
