"""Who may put events on the bus (issue 18 finding 10), in the synthesized template: every
PutEvents grant is bounded by `events:source` to its publisher's own sources, the bus policy refuses
each `commerce.*` source from every principal but its publisher, and admits internal systems for
the `warehouse` source only. The local AWS stand-in enforces none of it, so these tests are the proof.

`events:source` restricts the sources an identity may put; an explicit Deny in a resource-based
policy overrides any Allow, also for principals of the same account:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

from typing import Any

import pytest

from commerce.events import EVENTS
from tests.infra.conftest import Synth, synthesize

#: Each outbox relay, by the table whose stream it reads, and the sources of the events in that outbox.
RELAY_SOURCES = {
    "Identity": {"commerce.identity"},
    "Catalog": {"commerce.catalog", "commerce.inventory"},
    "Orders": {"commerce.orders"},
    "Payments": {"commerce.payments"},
}


def _actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


def _puts_events(statement: dict[str, Any]) -> bool:
    return any(
        a in ("*", "events:*", "events:PutEvents") or a.startswith("events:Put*") for a in _actions(statement)
    )


def _sources(condition: dict[str, Any]) -> set[str]:
    value = condition["StringEquals"]["events:source"]
    return {value} if isinstance(value, str) else set(value)


def _relay_tables(synth: Synth) -> dict[str, str]:
    """Role logical id → the service whose table stream the role's function reads."""
    functions = synth.resources("AWS::Lambda::Function")
    roles: dict[str, str] = {}
    for mapping in synth.resources("AWS::Lambda::EventSourceMapping").values():
        props = mapping["Properties"]
        source = props["EventSourceArn"]
        if not (isinstance(source, dict) and source.get("Fn::GetAtt", [None, None])[1] == "StreamArn"):
            continue
        table_id = source["Fn::GetAtt"][0]
        service = next(s for s in RELAY_SOURCES if table_id.startswith(s))
        function = functions[props["FunctionName"]["Ref"]]
        roles[function["Properties"]["Role"]["Fn::GetAtt"][0]] = service
    return roles


def test_every_put_events_grant_is_bounded_to_its_publishers_own_sources(stage: Synth) -> None:
    relays = _relay_tables(stage)
    granted: dict[str, set[str]] = {}
    for policy in stage.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if not _puts_events(statement):
                continue
            assert _actions(statement) == ["events:PutEvents"], statement
            (role,) = policy["Properties"]["Roles"]
            assert role["Ref"] in relays, f"{role['Ref']} puts events but is no outbox relay"
            granted[relays[role["Ref"]]] = _sources(statement["Condition"])
    assert granted == RELAY_SOURCES
    # Every source the system publishes has exactly one publisher; nobody may put another's.
    published = {source for source, _ in EVENTS.values() if source.startswith("commerce.")}
    assert set().union(*granted.values()) == published
    assert sum(len(s) for s in granted.values()) == len(published)


def _bus_statements(synth: Synth) -> list[dict[str, Any]]:
    return [
        policy["Properties"]["Statement"]
        for policy in synth.resources("AWS::Events::EventBusPolicy").values()
    ]


def test_the_bus_refuses_each_services_sources_from_any_principal_but_its_relay(stage: Synth) -> None:
    relays = {service: role for role, service in _relay_tables(stage).items()}
    denies = [s for s in _bus_statements(stage) if s["Effect"] == "Deny"]
    refused: dict[str, set[str]] = {}
    for statement in denies:
        assert statement["Principal"] == {"AWS": "*"}
        assert statement["Action"] == "events:PutEvents"
        exempt = statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]["Fn::GetAtt"][0]
        service = next(service for service, role in relays.items() if role == exempt)
        refused[service] = _sources(statement["Condition"])
    assert refused == RELAY_SOURCES


def test_no_other_principal_is_admitted_by_default(stage: Synth) -> None:
    assert [s for s in _bus_statements(stage) if s["Effect"] == "Allow"] == []


@pytest.fixture(scope="module")
def with_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    principals = "111122223333,arn:aws:iam::444455556666:role/warehouse-publisher"
    return synthesize(tmp_path_factory.mktemp("warehouse"), "dev", {"warehousePrincipals": principals})


def test_internal_systems_are_admitted_only_for_the_warehouse_source(with_warehouse: Synth) -> None:
    allows = [s for s in _bus_statements(with_warehouse) if s["Effect"] == "Allow"]
    assert len(allows) == 2
    principals = []
    for statement in allows:
        assert statement["Action"] == "events:PutEvents"
        assert statement["Condition"] == {"StringEquals": {"events:source": "warehouse"}}
        principals.append(statement["Principal"]["AWS"])
    assert "arn:aws:iam::444455556666:role/warehouse-publisher" in principals
    assert any("111122223333" in str(p) for p in principals)


def test_a_principal_that_is_neither_an_account_nor_an_arn_is_refused() -> None:
    from cdk.config import stage_config

    with pytest.raises(ValueError, match="warehousePrincipals"):
        stage_config("dev", {"warehousePrincipals": "*"})
    assert stage_config("dev", {"warehousePrincipals": " 111122223333 ,"}).warehouse_principals == (
        "111122223333",
    )
