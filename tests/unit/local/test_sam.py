"""local/sam: the base image SAM asks for, and how an invocation is judged (SAM's exit code says nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.sam import image, run


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_image_tag_is_the_one_sam_asks_for(arch: str) -> None:
    # SAM CLI (samcli/local/docker/lambda_image.py): `public.ecr.aws/lambda/` + `python:3.13` + `-<arch>`
    # for runtimes with an image per architecture; it then builds `...:3.13-rapid-<arch>` FROM it.
    assert image.image_tag(arch) == f"public.ecr.aws/lambda/python:3.13-{arch}"


def test_image_pins_the_tested_boto3_and_has_lambdas_paths() -> None:
    assert image.pinned("boto3").startswith("boto3==")
    dockerfile = image.dockerfile("x86_64")
    assert dockerfile.startswith("FROM scratch\n")
    assert 'ENV LAMBDA_TASK_ROOT="/var/task"' in dockerfile
    assert 'ENV LAMBDA_RUNTIME_DIR="/var/runtime"' in dockerfile
    # Function code first, then the layers, then the runtime's libraries (Lambda's module search order).
    assert "/var/task:/opt/python/lib/python3.13/site-packages:/opt/python:" in image.BOOTSTRAP
    assert "-m awslambdaric" in image.BOOTSTRAP


def test_endpoints_are_rewritten_for_containers() -> None:
    assert run._in_container("http://172.17.0.1:4566") == "http://host.docker.internal:4566"
    assert run._in_container("http://127.0.0.1:12111/v1") == "http://host.docker.internal:12111/v1"


OK = json.dumps({"statusCode": 200, "body": "{}"})


@pytest.mark.parametrize(
    ("stdout", "stderr", "reason"),
    [
        (OK, "START RequestId: 1\nEND RequestId: 1\n", None),
        (json.dumps({"batchItemFailures": []}), "", None),
        (json.dumps({"statusCode": 404, "body": "{}"}), "", None),
        (json.dumps({"errorType": "KeyError", "errorMessage": "'x'"}), "", "raised"),
        (json.dumps({"statusCode": 502, "body": "{}"}), "", "status 502"),
        ("", "2026-12-01 Task timed out after 10.01 seconds", "timed out"),
        (OK, "No response from invoke container for SomeFunction", "No response"),
        ("", "Error: Running AWS SAM projects locally requires a container runtime.", "no result"),
    ],
)
def test_verdict_judges_the_payload_and_the_log_not_the_exit_code(
    stdout: str, stderr: str, reason: str | None
) -> None:
    failure = run.verdict(stdout, stderr)
    if reason is None:
        assert failure is None
    else:
        assert failure is not None
        assert reason in failure


def test_payload_is_the_last_json_line_when_sam_prints_more() -> None:
    assert run.payload('noise\n{"statusCode": 201}\n') == {"statusCode": 201}


def test_sam_unavailable_names_what_is_missing_and_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The SAM tests skip with this text (and `make sam-check` fails with it): it must say why.
    monkeypatch.setattr(run, "sam_executable", lambda: None)
    assert "SAM CLI is not installed (`make sam-check` installs it)" in str(run.sam_unavailable())

    monkeypatch.setattr(run, "sam_executable", lambda: "/usr/bin/sam")
    monkeypatch.setattr(run.shutil, "which", lambda name: None)
    assert "no docker client" in str(run.sam_unavailable())

    monkeypatch.setattr(run.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    # (a machine without the docker binary at all answers the second; with it, the first)
    assert run.sam_unavailable() in ("no Docker engine is running", "the Docker engine does not answer")
