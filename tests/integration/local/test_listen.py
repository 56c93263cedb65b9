"""The local stack listens where it is told (`--listen` / `LISTEN`): the API, the CDN in front of it,
the AWS stand-in and the Stripe stub, and every URL it hands out names that address.

127.0.0.2 stands in for the Docker bridge's gateway (`sam local`'s containers reach the machine only
there): it is on the loopback interface, yet nothing listening on 127.0.0.1 answers at it, and the
other way round.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from local.cdn import Behaviour, CachePolicy, Cdn, CdnServer, OriginRequestPolicy
from local.net import connect_address, free_port
from local.stack import LocalStack, StackOptions
from tests.unit.local.sample import STACK_NAME, write_template

ADDRESS = "127.0.0.2"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    folder = tmp_path_factory.mktemp("listen")
    options = StackOptions(
        template=write_template(folder),
        port=free_port(),
        aws_port=free_port(),
        stripe_port=free_port(),
        state_dir=folder / "state",
        seed=False,
        listen=ADDRESS,
    )
    local = LocalStack(options).start()
    yield local
    local.stop()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_every_url_the_stack_hands_out_names_the_listen_address(stack: LocalStack) -> None:
    outputs = json.loads((stack.options.state_dir / "outputs.json").read_text())[STACK_NAME]
    state = json.loads((stack.options.state_dir / "state.json").read_text())

    assert outputs["ApiUrl"] == f"http://{ADDRESS}:{stack.options.port}/"
    assert outputs["AwsEndpoint"] == f"http://{ADDRESS}:{stack.options.aws_port}"
    assert state["listen"] == ADDRESS
    assert state["stripeApiBase"] == f"http://{ADDRESS}:{stack.options.stripe_port}"


def test_the_api_the_stand_in_and_the_stripe_stub_answer_there_and_not_on_127_0_0_1(
    stack: LocalStack,
) -> None:
    assert _status(stack.api_url + "health") == 200
    assert _status(f"http://{ADDRESS}:{stack.options.aws_port}/moto-api/") == 200
    # Without an API key the stub answers as Stripe does: 401.
    assert _status(f"http://{ADDRESS}:{stack.options.stripe_port}/v1/payment_intents/pi_none") == 401
    for port in (stack.options.port, stack.options.aws_port, stack.options.stripe_port):
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)


def test_the_cdn_listens_there_too_and_reaches_its_origin_at_the_same_address(stack: LocalStack) -> None:
    everything = Behaviour(
        path_pattern="*",
        allowed_methods=("GET", "HEAD"),
        cached_methods=("GET", "HEAD"),
        cache=CachePolicy(),
        origin_request=OriginRequestPolicy(header_behavior="allViewer", managed_all_viewer=True),
        caching_disabled=True,
    )
    cdn = CdnServer(Cdn([everything], stack.options.port, connect_address(ADDRESS)), 0, ADDRESS).start()
    try:
        assert _status(f"http://{ADDRESS}:{cdn.port}/health") == 200
    finally:
        cdn.stop()


def test_all_interfaces_are_reached_through_loopback() -> None:
    assert connect_address("0.0.0.0") == "127.0.0.1"
    assert connect_address("127.0.0.1") == "127.0.0.1"
    assert connect_address("172.17.0.1") == "172.17.0.1"
