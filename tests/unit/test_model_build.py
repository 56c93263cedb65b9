"""Importing our models builds none of them: pydantic builds each on first use (commerce.model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = (
    "commerce.events",
    "commerce.openapi",
    "catalog.models",
    "identity.models",
    "orders.models",
    "users.models",
)

_PROBE = """
import importlib, json, sys
from commerce.model import Model
for name in sys.argv[1:]:
    importlib.import_module(name)
def every(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from every(sub)
models = {f"{m.__module__}.{m.__qualname__}": m.__pydantic_complete__ for m in every(Model)}
print(json.dumps(models))
"""


def test_importing_the_models_builds_no_validator_until_first_use() -> None:
    done = subprocess.run(
        # The project's packages are on the venv's path (make venv, tools/venv_paths.py).
        [sys.executable, "-I", "-c", _PROBE, *MODULES],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    built = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(built) >= 30, sorted(built)
    assert not [name for name, complete in built.items() if complete]


def test_a_deferred_model_still_validates_and_forbids_extra_fields() -> None:
    import pydantic

    from commerce.events import Money

    assert Money(amount=100, currency="EUR").amount == 100
    with pytest.raises(pydantic.ValidationError) as raised:
        Money.model_validate({"amount": 1, "currency": "EUR", "extra": True})
    assert raised.value.errors()[0]["type"] == "extra_forbidden"
