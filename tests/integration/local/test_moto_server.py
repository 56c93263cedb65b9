"""The AWS stand-in of the local stack runs in the process that starts it, and moto keeps its state per
process: a stopped stand-in must leave nothing behind for the next one (a test or a benchmark that
starts another stack in the same process)."""

from __future__ import annotations

from local.moto_server import Clients, MotoServer
from local.net import free_port


def test_a_stopped_stand_in_leaves_no_resources_for_the_next_one() -> None:
    first = MotoServer(free_port()).start()
    try:
        Clients(first.endpoint)("events").create_event_bus(Name="commerce-test")
    finally:
        first.stop()

    second = MotoServer(free_port()).start()
    try:
        events = Clients(second.endpoint)("events")
        assert [bus["Name"] for bus in events.list_event_buses()["EventBuses"]] == ["default"]
        events.create_event_bus(Name="commerce-test")  # would raise ResourceAlreadyExistsException
    finally:
        second.stop()
