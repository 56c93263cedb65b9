"""File adapter: the merged OpenAPI document. The deployed code asset of the swagger function holds it
beside this module (cdk/services/system.py adds it); run from the source tree (the local stack,
tests), it is the committed docs/openapi.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).with_name("openapi.json")
COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@dataclass(frozen=True)
class OpenAPIFile:
    path: Path

    @classmethod
    def from_env(cls) -> OpenAPIFile:
        return cls(path=SHIPPED if SHIPPED.exists() else COMMITTED)

    def read(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return document
