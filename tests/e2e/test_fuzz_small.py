"""A small `make fuzz`: schemathesis on every operation of docs/openapi.json, bounded examples."""

from __future__ import annotations

import argparse

from tests.e2e.conftest import LocalStackProcess
from tools.fuzz import SCHEMA, fuzz


def test_no_generated_request_gets_a_server_error_or_a_response_outside_its_schema(
    local_stack: LocalStackProcess, tmp_path: object
) -> None:
    args = argparse.Namespace(
        url=local_stack.base_url,
        template=None,
        schema=str(SCHEMA),
        max_examples=10,
        seed=1,
        phases="examples,coverage,fuzzing",
        mode="all",
        report_dir=str(tmp_path),
    )
    assert fuzz(args) == 0, "schemathesis found server errors or schema violations (see its output above)"
