"""Puts the project on the venv's import path: `make venv` runs this once, so no script, tool or test
needs `sys.path` edits to import `cdk`, `local`, `tools`, `benchmarks`, the services under
`functions/` (`orders.place_order`, ...) or the shared layer package (`commerce`).

It writes `commerce_project.pth` into the venv's site-packages: the repository root, `functions/`
and `layers/commerce/python`, the same three roots as pytest's `pythonpath`. A process that stands
in for a Lambda function (the local stack's workers, the cold-start benchmark's children: they set
`LAMBDA_TASK_ROOT`) skips them, because in Lambda only the function's own code asset and its layers
are importable, and a worker that could import every service would hide a missing dependency.

    .venv/bin/python tools/venv_paths.py
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PTH_NAME = "commerce_project.pth"
ROOTS = (ROOT, ROOT / "functions", ROOT / "layers" / "commerce" / "python")


def pth_text() -> str:
    paths = [str(path) for path in ROOTS]
    # A .pth line that starts with `import` is executed by `site` at interpreter start.
    return f"import os, sys; os.environ.get('LAMBDA_TASK_ROOT') or sys.path.extend({paths!r})\n"


def main() -> int:
    target = Path(sysconfig.get_paths()["purelib"]) / PTH_NAME
    target.write_text(pth_text())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
