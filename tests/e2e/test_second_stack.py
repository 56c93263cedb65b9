"""A second `make dev` next to a first one (README, "Ports"): a port it cannot have stops it at once
with the port and its variable, instead of a stack that says it is ready and cannot charge (issue 22:
"the Stripe stub did not start; payments will fail", then ready)."""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from local.launch import Ports, StackDidNotStart, start_make_dev
from tests.e2e.conftest import _ensure_template

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("taken", "variable"), [("stripe_port", "STRIPE_PORT"), ("port", "PORT"), ("aws_port", "AWS_PORT")]
)
def test_a_second_make_dev_whose_port_is_taken_fails_fast_naming_port_and_variable(
    tmp_path_factory: pytest.TempPathFactory, taken: str, variable: str
) -> None:
    _ensure_template()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as first:  # the first stack's listener
        first.bind(("127.0.0.1", 0))
        first.listen()
        port = int(first.getsockname()[1])
        ports = dataclasses.replace(Ports.free(), **{taken: port})
        state_dir = tmp_path_factory.mktemp("second")
        began = time.monotonic()
        try:
            start_make_dev(ports, state_dir, deadline_s=120).stop()
        except StackDidNotStart as refused:
            message = str(refused)
        else:
            pytest.fail(f"a `make dev` without its {variable} answered /health")
    assert "exited with" in message, f"the stack did not exit by itself:\n{message}"
    assert f"port {port}" in message, message
    assert f"set {variable}" in message, message
    assert "ready in" not in message, message
    assert time.monotonic() - began < 60
