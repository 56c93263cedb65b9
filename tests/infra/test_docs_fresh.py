"""Generated documentation must match a fresh generation from the code and the template."""

from __future__ import annotations

from tests.infra.conftest import ROOT, Synth
from tools import diagrams, event_catalog


def test_architecture_diagrams_match_the_template(dev: Synth) -> None:
    document = (ROOT / "docs" / "architecture.md").read_text()
    fresh = diagrams.update_document(document, diagrams.render(dev.template))
    assert document == fresh, "docs/architecture.md diagrams are stale: run `make docs`"


def test_diagrams_show_every_service_and_table(dev: Synth) -> None:
    block = diagrams.render(dev.template)
    model = diagrams.Model(dev.template)
    for service in model.services:
        assert f'"{service}"' in block
    for logical_id in dev.resources("AWS::DynamoDB::Table"):
        assert logical_id in block


def test_event_catalog_matches_the_models_and_rules(dev: Synth) -> None:
    committed = (ROOT / "docs" / "events.md").read_text()
    assert committed == event_catalog.render(dev.template), "docs/events.md is stale: run `make docs`"
