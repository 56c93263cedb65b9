"""Generated documentation must match a fresh generation from the code and the template."""

from __future__ import annotations

import json

from tests.infra.conftest import ROOT, Synth
from tools import api_reference, diagrams, event_catalog


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


def test_api_reference_matches_the_openapi_document_and_the_template(dev: Synth) -> None:
    committed = (ROOT / "docs" / "api.md").read_text()
    fresh = api_reference.render(json.loads(api_reference.OPENAPI.read_text()), dev.template)
    assert committed == fresh, "docs/api.md is stale: run `make docs`"


def test_every_operation_has_its_example_in_the_api_reference_session() -> None:
    """A route added to the API gets a curl example the doc tests run (tools/api_reference.TOUR),
    not a bare `curl` that nothing checks."""
    document = json.loads(api_reference.OPENAPI.read_text())
    operations = {
        f"{method.upper()} {api_reference._normalise(path)}"
        for path, methods in document["paths"].items()
        for method in methods
    }
    assert operations - set(api_reference.TOUR) == set(), "add them to TOUR in tools/api_reference.py"
    assert set(api_reference.TOUR) - operations == set(), "TOUR names routes the API no longer has"
