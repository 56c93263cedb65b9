"""The hand-written sample template the local stack's tests run against (fixtures/template.json)."""

from __future__ import annotations

import json
from pathlib import Path

from local.template import Template

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STACK_NAME = "Fixture-dev"


def template_body() -> dict:
    text = (FIXTURES / "template.json").read_text().replace("__FIXTURES__", str(FIXTURES))
    return dict(json.loads(text))


def write_template(folder: Path) -> Path:
    path = folder / f"{STACK_NAME}.template.json"
    path.write_text(json.dumps(template_body()))
    return path


def sample_template() -> Template:
    return Template(template_body(), STACK_NAME)
