"""A local stack that cannot have one of its ports refuses to start, naming the port and the
variable that moves it (issue 22: a second stack on other ports used to log "the Stripe stub did
not start; payments will fail" and report ready all the same)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from local.net import free_port
from local.stack import PortInUse, StackOptions, check_ports


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def options(**ports: int | None) -> StackOptions:
    chosen = {"port": free_port(), "aws_port": free_port(), "stripe_port": free_port(), "cdn_port": None}
    return StackOptions(**{**chosen, **ports})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("attribute", "part", "variable"),
    [
        ("port", "the API", "PORT"),
        ("aws_port", "the AWS stand-in", "AWS_PORT"),
        ("stripe_port", "the Stripe stub", "STRIPE_PORT"),
        ("cdn_port", "the CDN", "CDN_PORT"),
    ],
)
def test_a_port_in_use_stops_the_stack_naming_the_port_and_its_variable(
    taken_port: int, attribute: str, part: str, variable: str
) -> None:
    with pytest.raises(PortInUse) as refused:
        check_ports(options(**{attribute: taken_port}))
    message = str(refused.value)
    assert f"port {taken_port} for {part} is in use" in message
    assert f"set {variable}" in message


def test_one_port_given_to_two_parts_is_refused() -> None:
    port = free_port()
    with pytest.raises(
        PortInUse, match=f"the Stripe stub and the API were both given port {port}: set STRIPE_PORT"
    ):
        check_ports(options(port=port, stripe_port=port))


def test_free_ports_and_any_port_pass() -> None:
    check_ports(options())
    check_ports(options(port=0, aws_port=0, stripe_port=0, cdn_port=0))
