"""Executable documentation (tools/doc_commands.py): every shell block of the documented files is
marked, the runbook marks every procedure, and the runner fails a doc whose command fails or prints
something other than what the doc says. The blocks themselves run in tests/e2e/test_docs.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools import doc_commands

ROOT = Path(__file__).resolve().parents[2]
TARGET = doc_commands.Target(
    port=43000, aws_port=44566, cdn_port=43001, stripe_port=42111, state_dir=Path("/st")
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text)
    return path


def run(tmp_path: Path, text: str) -> list[doc_commands.Outcome]:
    return doc_commands.run_document(write(tmp_path, text), TARGET, root=tmp_path)


FENCE = "```"


def block(body: str, marker: str = "<!-- doc: local -->", language: str = "bash") -> str:
    return f"{marker}\n{FENCE}{language}\n{body}\n{FENCE}\n"


# -- the documented files -----------------------------------------------------------------------


def test_every_shell_block_of_the_documented_files_is_marked() -> None:
    found = [
        problem
        for path in doc_commands.documented_files(ROOT)
        for item in doc_commands.blocks(path, ROOT)
        for problem in doc_commands.problems(item)
    ]
    assert not found, "\n".join(found)


def test_the_documented_files_have_runnable_blocks() -> None:
    local = {
        item.path
        for path in doc_commands.documented_files(ROOT)
        for item in doc_commands.blocks(path, ROOT)
        if item.marker is not None and item.marker.kind == "local"
    }
    assert {
        "README.md",
        "docs/api.md",
        "docs/runbook.md",
        "docs/identity.md",
        "docs/security.md",
        "local/README.md",
    } <= local


def test_the_runbook_marks_every_procedure_local_or_deploy_only() -> None:
    """Each `## ` procedure says where it runs on a `*Where:*` line; a local one is proven by a
    `doc: local` block, a deploy-only one has none."""
    text = (ROOT / "docs" / "runbook.md").read_text()
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    assert sections
    for section in sections:
        title = section.splitlines()[0]
        where = re.search(r"^\*Where:\* (local|deploy-only)\b", section, flags=re.MULTILINE)
        assert where, f"runbook, {title!r}: no `*Where:* local ...` or `*Where:* deploy-only ...` line"
        has_local_block = "<!-- doc: local -->" in section
        if where[1] == "local":
            assert has_local_block, f"runbook, {title!r}: marked local, but no `doc: local` block proves it"
        else:
            assert not has_local_block, (
                f"runbook, {title!r}: marked deploy-only, but has a `doc: local` block"
            )


# -- markers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (f"{FENCE}bash\nmake dev\n{FENCE}\n", "without a marker"),
        (f"{FENCE}\nmake dev\n{FENCE}\n", "without a language"),
        (block("make dev", "<!-- doc: maybe -->"), "unknown marker"),
        (block("make dev", "<!-- doc: deploy-only -->"), "needs a reason"),
        (block('curl -s "$API"health     # {"status":"ok"}'), "looks like output"),
        (block("curl -s -X POST x      # 201"), "looks like output"),
        (block("x", language="json"), "marker on a ```json block"),
    ],
)
def test_a_badly_marked_block_is_reported(tmp_path: Path, text: str, complaint: str) -> None:
    (item,) = doc_commands.blocks(write(tmp_path, text), tmp_path)
    problems = doc_commands.problems(item)
    assert problems
    assert complaint in problems[0]
    assert problems[0].startswith("doc.md:")


@pytest.mark.parametrize(
    "text",
    [
        block("make test", "<!-- doc: deploy-only — needs an AWS account -->"),
        block("make test", "<!-- doc: not-run — this is what runs the checks -->"),
        block("echo hi   # prints: hi"),
        block("echo hi   # a greeting, in words"),
        f"{FENCE}text\nany layout\n{FENCE}\n",
    ],
)
def test_a_well_marked_block_passes(tmp_path: Path, text: str) -> None:
    (item,) = doc_commands.blocks(write(tmp_path, text), tmp_path)
    assert doc_commands.problems(item) == []


def test_a_marked_block_inside_a_list_item_keeps_its_marker(tmp_path: Path) -> None:
    text = "1. Deploy:\n   <!-- doc: deploy-only — needs AWS -->\n   ```bash\n   npx cdk deploy\n   ```\n"
    (item,) = doc_commands.blocks(write(tmp_path, text), tmp_path)
    assert item.marker is not None
    assert item.marker.kind == "deploy-only"
    assert item.lines == ("npx cdk deploy",)


# -- running --------------------------------------------------------------------------------------


def test_blocks_run_in_order_with_the_variables_of_the_ones_before(tmp_path: Path) -> None:
    outcomes = run(
        tmp_path,
        block('GREETING=hello\nNAME="the reader"')
        + "prose\n"
        + block('echo "$GREETING, $NAME"       # prints: hello, the reader')
        + block("echo skipped", "<!-- doc: deploy-only — needs AWS -->"),
    )
    assert [o.ok for o in outcomes] == [True, True]
    assert outcomes[1].env_after["GREETING"] == "hello"


def test_prints_compares_whitespace_loosely_and_dots_match_anything(tmp_path: Path) -> None:
    (outcome,) = run(
        tmp_path,
        block(
            'printf \'{"status": "ok",\\n  "version": "9"}\'   # prints: {"status": "ok", ...}\n'
            'echo "one" \\\n  "two"                                # prints: one two'
        ),
    )
    assert outcome.ok, outcome.failures


def test_a_command_that_prints_something_else_fails_the_doc(tmp_path: Path) -> None:
    (outcome,) = run(tmp_path, block("echo CANCELLED        # prints: CONFIRMED"))
    assert not outcome.ok
    assert "doc.md:3: the doc says this prints" in outcome.failures[0]
    assert "CONFIRMED" in outcome.failures[0]
    assert "CANCELLED" in outcome.failures[0]


def test_a_failing_command_fails_the_doc_and_names_its_line(tmp_path: Path) -> None:
    (outcome,) = run(tmp_path, block("echo first\nls /no/such/dir\necho never"))
    assert not outcome.ok
    assert outcome.failures == ["doc.md:4: `ls /no/such/dir` failed (exit status 2)"]
    assert "never" not in outcome.stdout
    report = doc_commands.report(outcome, TARGET)
    assert "does not run as written" in report
    assert "deploy-only" in report  # says how to mark a block that cannot run locally


def test_a_variable_no_block_set_fails_the_doc(tmp_path: Path) -> None:
    (outcome,) = run(tmp_path, block('echo "refresh with $REFRESH"'))
    assert not outcome.ok


def test_later_blocks_do_not_run_after_a_failure(tmp_path: Path) -> None:
    outcomes = run(tmp_path, block("false") + block("echo later"))
    assert len(outcomes) == 1


def test_the_default_ports_and_state_are_those_of_the_stack_under_test(tmp_path: Path) -> None:
    (outcome,) = run(
        tmp_path,
        block(
            "echo http://127.0.0.1:3000/ 127.0.0.1:4566 127.0.0.1:3001   # prints: http://127.0.0.1:43000/ "
            "127.0.0.1:44566 127.0.0.1:43001\n"
            'echo "$PORT $AWS_PORT $LOCAL_STATE" .local/outputs.json'
            "       # prints: 43000 44566 /st /st/outputs.json"
        ),
    )
    assert outcome.ok, outcome.failures


def test_blocks_run_in_a_new_users_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-test-process")
    monkeypatch.setenv("AWS_PROFILE", "someone")
    (outcome,) = run(
        tmp_path,
        block(
            'echo "${AWS_ACCESS_KEY_ID:-none} ${AWS_PROFILE:-none} $AWS_CONFIG_FILE"'
            "   # prints: none none /dev/null"
        ),
    )
    assert outcome.ok, outcome.failures


def test_a_hash_in_a_heredoc_is_text_not_a_prints_comment(tmp_path: Path) -> None:
    text = block("cat <<'EOF'\nline  # prints: nothing\nEOF\necho done   # prints: done")
    (item,) = doc_commands.blocks(write(tmp_path, text), tmp_path)
    assert [p.expected for p in doc_commands.prints_of(item)] == ["done"]
    (outcome,) = run(tmp_path, text)
    assert outcome.ok, outcome.failures


def test_curl_fails_the_block_on_an_http_error_unless_the_line_says_what_it_prints() -> None:
    script, _ = doc_commands.script_for(doc_commands.Block("doc.md", 1, "bash", ("curl -s x",), None), TARGET)
    assert "--fail-with-body" in script


def test_the_readme_prerequisites_name_every_tool_the_local_blocks_call() -> None:
    """Issue 22, finding 10: the tour used `jq`, which the prerequisites did not name."""
    from tests.e2e.test_docs import TOOLS

    readme = (ROOT / "README.md").read_text()
    prerequisites = readme.split("## Prerequisites", 1)[1].split("\n## ", 1)[0]
    named = {"curl": "`curl`", "jq": "`jq`", "openssl": "`openssl`", "aws": "AWS CLI"}
    assert set(TOOLS) == set(named)
    commands = [
        line
        for path in doc_commands.documented_files(ROOT)
        for item in doc_commands.blocks(path, ROOT)
        if item.marker is not None and item.marker.kind == "local"
        for line in item.lines
    ]
    for tool, words in named.items():
        assert any(re.search(rf"(^|[\s|(]){tool}\s", line) for line in commands), (
            f"no local block calls {tool}"
        )
        assert words in prerequisites, f"README, Prerequisites: name {tool} ({words})"
