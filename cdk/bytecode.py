"""Lambda code that ships its CPython 3.13 bytecode, built without Docker.

Lambda cannot write `.pyc` files (`/var/task` and `/opt` are read-only), so every module shipped
without bytecode for the runtime's Python is compiled again on every cold start. The deps layer
(`make layer`) and every code asset of the CDK app (cdk/constructs/code.py) are therefore compiled
with a local CPython 3.13, `--invalidation-mode unchecked-hash`: the interpreter uses those files
without comparing them with the source's mtime, which the deployment zip does not keep faithfully.
Bytecode is the same on arm64 and x86_64.

Without a CPython 3.13 on the machine the code still builds, as source only, with a warning.
This module imports no CDK, so `make layer` can use it without starting jsii.

    python -m cdk.bytecode DIR     # compile DIR in place; writes DIR/../.bytecode (version or "none")
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import warnings
from functools import cache
from pathlib import Path

LAMBDA_PYTHON = (3, 13)


@cache
def _find_lambda_python() -> tuple[str, str] | None:
    candidates = [os.environ.get("PY313")]
    if sys.implementation.name == "cpython" and sys.version_info[:2] == LAMBDA_PYTHON:
        candidates.append(sys.executable)
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))
    candidates.append(shutil.which("python3.13"))
    probe = "import platform, sys; print(sys.implementation.name, platform.python_version())"
    for candidate in filter(None, candidates):
        try:
            # The candidates are interpreters found on this machine; nothing comes from input.
            done = subprocess.run(  # noqa: S603
                [candidate, "-c", probe], capture_output=True, text=True, timeout=30
            )
        except OSError:
            continue
        name, _, version = done.stdout.strip().partition(" ")
        if done.returncode == 0 and name == "cpython" and version.startswith("{}.{}.".format(*LAMBDA_PYTHON)):
            return candidate, version
    return None


def lambda_python() -> str | None:
    """A CPython 3.13 on this machine: $PY313, this interpreter, pyenv's, or python3.13 on PATH."""
    found = _find_lambda_python()
    return found[0] if found else None


def build_tag() -> str:
    """What the compiled code depends on besides its source, for an asset's fingerprint: a deployment
    built without bytecode differs from one built with it, and so must its asset hash."""
    found = _find_lambda_python()
    return f"bytecode cpython-{found[1]} unchecked-hash" if found else "source only"


# Run by the CPython 3.13 found: compile a tree (argv[1]) with argv[2] worker processes (0: one per core).
_COMPILE = """
import compileall, platform, py_compile, sys
ok = compileall.compile_dir(sys.argv[1], quiet=1, workers=int(sys.argv[2]),
                            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
print(platform.python_version())
sys.exit(0 if ok else 1)
"""


def compile_tree(root: Path, *, parallel: bool = False) -> str | None:
    """Compile every module under `root` in place; return the compiling Python's version, or None.

    One interpreter does it all (a service's slice is a few dozen modules); `parallel` adds a process
    per core, worth it for the deps layer's ~1,800."""
    python = lambda_python()
    if python is None:
        warnings.warn(
            f"no CPython {LAMBDA_PYTHON[0]}.{LAMBDA_PYTHON[1]} found: {root} ships without bytecode "
            "(Lambda compiles it on every cold start)",
            stacklevel=2,
        )
        return None
    done = subprocess.run(  # noqa: S603 - the interpreter lambda_python() found, our own script
        [python, "-c", _COMPILE, str(root), "0" if parallel else "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"compiling {root} with {python} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = Path(argv[0])
    version = compile_tree(root, parallel=True)
    (root.parent / ".bytecode").write_text(f"{version or 'none'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
