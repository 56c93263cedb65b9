"""Executable documentation: every shell block of the documented docs runs as written, or says why not.

Each fenced shell block (```bash, ```sh, ```shell, ```console) in DOCS has a marker on the line
right before its fence:

    <!-- doc: local -->                        run by `make test` against the local stack
    <!-- doc: deploy-only — <why> -->          needs a deployed stack or an AWS account
    <!-- doc: not-run — <why> -->              neither (e.g. `make test` itself); say why

A `local` block runs in bash (`set -euo pipefail`, so an unset variable or a failing command fails
it) from the repository root, after the blocks before it in the same file: the variables a block
sets are carried to the next one. The local stack's default addresses in the text are replaced by
the ports of the stack under test (`127.0.0.1:3000` → its API, `:3001` its CDN, `:4566` its AWS
stand-in, `:12111` its Stripe stub, `.local/outputs.json` and `.local/logs/` its state directory),
and `PORT`, `AWS_PORT`, `CDN_PORT`, `STRIPE_PORT` and `LOCAL_STATE` are set, so `make` targets aim
at it too. The environment is a new user's: no AWS variables, no real AWS profile, no venv on PATH.

`curl` fails the block on an HTTP error status (it runs as `curl --fail-with-body`), unless its
line says what it prints. A command whose line ends in `# prints: <text>` must print exactly that
(whitespace runs compare equal; `...` stands for anything):
`curl -s "${API}health"  # prints: {"status":"ok",...}`.
Put it on a top-level command (not inside a loop or a heredoc); continuation lines are fine.
A trailing comment that looks like output (`# {...}`, `# [...]`, `# 201`) without `prints:` is an
error: write `prints:` to have it checked, or say it in words.

    python -m tools.doc_commands                   # check the markers of every documented file
    python -m tools.doc_commands --run README.md   # run its local blocks against a running `make dev`

`tests/unit/test_doc_commands.py` checks the markers and the runner itself; `tests/e2e/test_docs.py`
runs every local block against a freshly seeded stack started by `make dev` on free ports.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The files whose shell blocks must run as written (or say why not), in the order they are run.
DOCS = (
    "README.md",
    "docs/api.md",
    "docs/runbook.md",
    "docs/identity.md",
    "docs/security.md",
    "local/README.md",
    "events/README.md",
)
SHELL_LANGUAGES = {"bash", "sh", "shell", "console", "zsh"}
KINDS = ("local", "deploy-only", "not-run")
CONVENTION = "docs/conventions.md, 'Executable documentation'"
BLOCK_TIMEOUT_S = 180

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*doc:\s*(?P<body>.*?)\s*-->\s*$")
_MARKER_BODY = re.compile(r"^(?P<kind>[a-z-]+)\s*(?:(?:\u2014|\u2013|-|:)\s*(?P<reason>.*))?$")
_PRINTS = re.compile(r"\s#\s*prints:\s?(?P<expected>.*)$")
_OUTPUT_LIKE = re.compile(r"\s#\s*(?:[\[{\"]|\d{3}\b)")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>[A-Za-z_][A-Za-z0-9_]*)\1")


@dataclass(frozen=True)
class Marker:
    kind: str  # one of KINDS
    reason: str
    line: int


@dataclass(frozen=True)
class Block:
    path: str  # relative to the repository root
    fence_line: int  # 1-based line of the opening fence
    language: str
    lines: tuple[str, ...]  # the block's lines, its fence's indentation removed
    marker: Marker | None

    @property
    def first_line(self) -> int:
        return self.fence_line + 1

    @property
    def where(self) -> str:
        return f"{self.path}:{self.fence_line}"

    @property
    def is_shell(self) -> bool:
        return self.language in SHELL_LANGUAGES


@dataclass(frozen=True)
class Prints:
    start: int  # index (in Block.lines) of the command's first line
    end: int  # index of the line that carries `# prints:`
    expected: str


# -- parsing -------------------------------------------------------------------------------------


def blocks(path: Path, root: Path = ROOT) -> list[Block]:
    """Every fenced block of a Markdown file, with the marker on the line before it (if any)."""
    text = path.read_text().splitlines()
    found: list[Block] = []
    index = 0
    while index < len(text):
        opening = _FENCE.match(text[index])
        if not opening:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        language = opening["info"].strip().split(" ")[0].lower() if opening["info"].strip() else ""
        body: list[str] = []
        close = index + 1
        while close < len(text):
            stripped = text[close].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) <= {fence[0]}:
                break
            line = text[close]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            close += 1
        marker = None
        if index > 0:
            match = _MARKER.match(text[index - 1])
            if match:
                parsed = _MARKER_BODY.match(match["body"])
                kind = parsed["kind"] if parsed else match["body"]
                reason = (parsed["reason"] or "").strip() if parsed else ""
                marker = Marker(kind, reason, index)
        relative = str(path.resolve().relative_to(root.resolve())) if path.is_absolute() else str(path)
        found.append(Block(relative, index + 1, language, tuple(body), marker))
        index = close + 1
    return found


def _heredoc_lines(lines: Sequence[str]) -> set[int]:
    """Indexes of lines inside a heredoc body (their `#` is text, not a comment)."""
    inside: set[int] = set()
    index = 0
    while index < len(lines):
        match = _HEREDOC.search(lines[index])
        index += 1
        if match:
            word = match["word"]
            while index < len(lines) and lines[index].strip() != word:
                inside.add(index)
                index += 1
            index += 1
    return inside


def prints_of(block: Block) -> list[Prints]:
    """The `# prints:` expectations of a block, each with the span of its command."""
    skip = _heredoc_lines(block.lines)
    found = []
    for index, line in enumerate(block.lines):
        if index in skip:
            continue
        match = _PRINTS.search(line)
        if match:
            start = index
            while start > 0 and block.lines[start - 1].rstrip().endswith("\\"):
                start -= 1
            found.append(Prints(start, index, match["expected"].strip()))
    return found


def problems(block: Block) -> list[str]:
    """What is wrong with a block's marking (empty when nothing is)."""
    fix = f"(see {CONVENTION})"
    if not block.language:
        return [
            f"{block.where}: a fenced block without a language; write ```bash for commands "
            f"(and mark it), ```text for output, diagrams and layouts {fix}"
        ]
    marker = block.marker
    if not block.is_shell:
        if marker is not None:
            return [f"{block.where}: a `<!-- doc: ... -->` marker on a ```{block.language} block {fix}"]
        return []
    if marker is None:
        return [
            f"{block.where}: a shell block without a marker: put `<!-- doc: local -->` on the line "
            f"before the fence if it runs against `make dev`, or `<!-- doc: deploy-only — <why> -->` "
            f"{fix}"
        ]
    if marker.kind not in KINDS:
        return [f"{block.where}: unknown marker `{marker.kind}`; one of {', '.join(KINDS)} {fix}"]
    if marker.kind != "local" and not marker.reason:
        return [f"{block.where}: `{marker.kind}` needs a reason: `<!-- doc: {marker.kind} — <why> -->` {fix}"]
    found = []
    skip = _heredoc_lines(block.lines)
    for index, line in enumerate(block.lines):
        if index not in skip and _OUTPUT_LIKE.search(line) and not _PRINTS.search(line):
            found.append(
                f"{block.path}:{block.first_line + index}: a comment that looks like output; write "
                f"`# prints: ...` to have it checked, or say it in words {fix}"
            )
    return found


def documented_files(root: Path = ROOT) -> Iterator[Path]:
    for name in DOCS:
        path = root / name
        if path.exists():
            yield path


# -- running -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The local stack the blocks run against."""

    port: int = 3000
    aws_port: int = 4566
    cdn_port: int = 3001
    stripe_port: int = 12111
    state_dir: Path = ROOT / ".local"

    def substitutions(self) -> list[tuple[str, str]]:
        state = str(self.state_dir)
        return [
            ("127.0.0.1:3000", f"127.0.0.1:{self.port}"),
            ("127.0.0.1:3001", f"127.0.0.1:{self.cdn_port}"),
            ("127.0.0.1:4566", f"127.0.0.1:{self.aws_port}"),
            ("127.0.0.1:12111", f"127.0.0.1:{self.stripe_port}"),
            (".local/outputs.json", f"{state}/outputs.json"),
            (".local/state.json", f"{state}/state.json"),
            (".local/logs/", f"{state}/logs/"),
        ]

    def environment(self, root: Path = ROOT) -> dict[str, str]:
        """A new user's shell: PATH without the venv, no AWS settings, and the stack's ports."""
        venv = str(root / ".venv")
        path = os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep) if not p.startswith(venv)
        )
        env = {
            k: os.environ[k] for k in ("HOME", "USER", "LOGNAME", "PYENV_ROOT", "TMPDIR") if k in os.environ
        }
        env.update(
            {
                "PATH": path,
                "LANG": "C.UTF-8",
                "LC_ALL": "C.UTF-8",
                "TERM": "dumb",
                # Never a real AWS profile or instance credentials: a local block reaches loopback only.
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "PORT": str(self.port),
                "AWS_PORT": str(self.aws_port),
                "CDN_PORT": str(self.cdn_port),
                "STRIPE_PORT": str(self.stripe_port),
                "LOCAL_STATE": str(self.state_dir),
            }
        )
        return env


@dataclass
class Outcome:
    block: Block
    script: str
    returncode: int
    stdout: str
    stderr: str
    failures: list[str] = field(default_factory=list)
    env_after: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


_BEGIN, _END, _SEP = "doc-begin", "doc-end", "\x1e"
_PRELUDE = f"""\
set -a -Eeuo pipefail
trap 'echo "$LINENO ${{BASH_LINENO[*]}}" > "$__doc_errline"' ERR
curl() {{
  if [ -n "${{__doc_checked:-}}" ]; then command curl "$@"
  else command curl --fail-with-body --show-error "$@"; fi
}}
__doc_begin() {{ __doc_checked=1; printf '\\n{_SEP}{_BEGIN} %s{_SEP}\\n' "$1"; }}
__doc_end() {{ printf '\\n{_SEP}{_END} %s{_SEP}\\n' "$1"; unset __doc_checked; }}
"""
_PRELUDE_LINES = _PRELUDE.count("\n")
_EPILOGUE = 'env -0 > "$__doc_env"\n'
_INTERNAL = re.compile(r"^(__doc_\w*|BASH_\w+|SHLVL|PWD|OLDPWD|_|PIPESTATUS)$")


def script_for(block: Block, target: Target) -> tuple[str, list[Prints]]:
    """The bash script a local block runs as: its lines, substituted, with output markers around
    every command that says what it prints. Line N of the block is line N + prelude of the script."""
    lines = list(block.lines)
    for old, new in target.substitutions():
        lines = [line.replace(old, new) for line in lines]
    expectations = prints_of(Block(block.path, block.fence_line, block.language, tuple(lines), block.marker))
    for number, expectation in enumerate(expectations):
        lines[expectation.start] = f"__doc_begin {number}; " + lines[expectation.start]
        match = _PRINTS.search(lines[expectation.end])
        assert match is not None
        lines[expectation.end] = lines[expectation.end][: match.start()] + f"; __doc_end {number}"
    return _PRELUDE + "\n".join(lines) + "\n" + _EPILOGUE, expectations


def _matches(expected: str, actual: str) -> bool:
    def squash(text: str) -> str:
        return " ".join(text.split())

    pattern = ".*?".join(re.escape(part) for part in squash(expected).split("..."))
    return re.fullmatch(pattern, squash(actual), flags=re.DOTALL) is not None


def _printed(stdout: str, number: int) -> str | None:
    begin, end = f"{_SEP}{_BEGIN} {number}{_SEP}", f"{_SEP}{_END} {number}{_SEP}"
    if begin not in stdout or end not in stdout:
        return None
    return stdout.rsplit(begin, 1)[1].split(end, 1)[0].strip()


def _visible(stdout: str) -> str:
    return re.sub(rf"\n?{_SEP}doc-(?:begin|end) \d+{_SEP}\n?", "\n", stdout).strip()


def _tail(text: str, chars: int = 2500) -> str:
    text = text.strip()
    return text if len(text) <= chars else "..." + text[-chars:]


def run_block(block: Block, target: Target, env: Mapping[str, str], root: Path = ROOT) -> Outcome:
    script, expectations = script_for(block, target)
    with tempfile.TemporaryDirectory(prefix="doc-block-") as scratch:
        env_file, err_file = Path(scratch) / "env", Path(scratch) / "errline"
        run_env = {**env, "__doc_env": str(env_file), "__doc_errline": str(err_file)}
        try:
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-c", script, f"{block.where}"],
                cwd=root, env=run_env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S, check=False,
            )  # fmt: skip
            returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as slow:
            returncode = -1
            stdout = (slow.stdout or b"").decode(errors="replace") if isinstance(slow.stdout, bytes) else ""
            stderr = f"(timed out after {BLOCK_TIMEOUT_S} s)"
        outcome = Outcome(block, script, returncode, stdout, stderr)
        if returncode != 0:
            where = block.where
            # The ERR trap wrote the failing line and its callers' lines (a failing `curl` fails
            # inside the wrapper function): the first one inside the block is the doc's line.
            lines = err_file.read_text().split() if err_file.exists() else []
            indexes = [int(n) - _PRELUDE_LINES - 1 for n in lines if n.isdigit()]
            index = next((i for i in indexes if 0 <= i < len(block.lines)), None)
            if index is not None:
                where = f"{block.path}:{block.first_line + index}: `{block.lines[index].strip()}`"
            outcome.failures.append(f"{where} failed (exit status {returncode})")
        for number, expectation in enumerate(expectations):
            printed = _printed(stdout, number)
            if printed is None:
                if returncode == 0:
                    outcome.failures.append(
                        f"{block.path}:{block.first_line + expectation.end}: the command never ran "
                        "(a `# prints:` comment must end a top-level command)"
                    )
                continue
            if not _matches(expectation.expected, printed):
                outcome.failures.append(
                    f"{block.path}:{block.first_line + expectation.end}: the doc says this prints\n"
                    f"      {expectation.expected}\n    it printed\n      {_tail(printed, 800)}"
                )
        if env_file.exists():
            pairs = (item.split("=", 1) for item in env_file.read_text().split("\0") if "=" in item)
            outcome.env_after = {k: v for k, v in pairs if not _INTERNAL.match(k)}
    return outcome


def report(outcome: Outcome, target: Target) -> str:
    """What a reader needs to fix a failing block: where, what it ran, what it printed, what to do."""
    substituted = ", ".join(f"{old} → {new}" for old, new in target.substitutions()[:4])
    code = "\n".join(f"    {line}" for line in outcome.block.lines)
    return (
        f"a `<!-- doc: local -->` block of {outcome.block.path} does not run as written:\n  "
        + "\n  ".join(outcome.failures)
        + f"\n\n  the block ({outcome.block.where}; run with {substituted}):\n{code}\n"
        + f"\n  its output:\n{_indent(_tail(_visible(outcome.stdout)))}\n"
        + f"\n  its errors:\n{_indent(_tail(outcome.stderr))}\n"
        + "\n  Fix the command (or the code it documents). A block that cannot run against the local "
        + "stack is marked `<!-- doc: deploy-only — <why> -->` instead "
        + f"({CONVENTION}). Try it by hand: `make dev`, then "
        + f"`.venv/bin/python -m tools.doc_commands --run {outcome.block.path}`."
    )


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in (text or "(nothing)").splitlines())


def run_document(path: Path, target: Target, root: Path = ROOT) -> list[Outcome]:
    """Run a file's local blocks in order, each starting from the variables the previous one left;
    stops at the first block that fails (the later ones depend on it)."""
    env = target.environment(root)
    outcomes = []
    for block in blocks(path, root):
        if block.marker is None or block.marker.kind != "local":
            continue
        outcome = run_block(block, target, env, root)
        outcomes.append(outcome)
        if not outcome.ok:
            break
        env = {**target.environment(root), **outcome.env_after}
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", nargs="*", metavar="FILE", help="run these files' local blocks")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("AWS_PORT", "4566")))
    parser.add_argument("--cdn-port", type=int, default=int(os.environ.get("CDN_PORT", "3001")))
    parser.add_argument("--stripe-port", type=int, default=int(os.environ.get("STRIPE_PORT", "12111")))
    parser.add_argument(
        "--state-dir", type=Path, default=Path(os.environ.get("LOCAL_STATE", ROOT / ".local"))
    )
    args = parser.parse_args(argv)
    files = [ROOT / name for name in args.run] if args.run else list(documented_files())
    found = [problem for path in files for block in blocks(path) for problem in problems(block)]
    for problem in found:
        print(problem, file=sys.stderr)
    if found or args.run is None:
        if not found:
            print(f"every shell block of {', '.join(str(f.relative_to(ROOT)) for f in files)} is marked")
        return 1 if found else 0
    target = Target(args.port, args.aws_port, args.cdn_port, args.stripe_port, args.state_dir.resolve())
    failed = 0
    for path in files:
        for outcome in run_document(path, target):
            print(f"{'ok  ' if outcome.ok else 'FAIL'} {outcome.block.where}")
            if not outcome.ok:
                failed += 1
                print(report(outcome, target), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
