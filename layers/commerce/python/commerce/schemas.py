"""JSON Schemas of the event contract, generated from the pydantic models in `commerce.events`.

Used by the stack (published to an EventBridge schema registry) and by `make docs` (docs/events.md),
so the schemas consumers see can never drift from the code that produces and validates events.
"""

from __future__ import annotations

import json
from typing import Any

from commerce.events import EVENTS, EventMetadata


def _draft4(schema: dict[str, Any]) -> dict[str, Any]:
    """pydantic emits `$defs`; EventBridge's registry reads JSON Schema draft 4 (`definitions`)."""
    text = json.dumps(schema).replace('"$defs"', '"definitions"').replace("#/$defs/", "#/definitions/")
    converted: dict[str, Any] = json.loads(text)
    return converted


def detail_schema(detail_type: str) -> dict[str, Any]:
    """The schema of `Detail` for one event: the envelope with that event's `data`."""
    source, model = EVENTS[detail_type]
    data = model.model_json_schema(mode="serialization")
    metadata = EventMetadata.model_json_schema(mode="serialization")
    definitions = {**data.pop("$defs", {}), **metadata.pop("$defs", {})}
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": detail_type,
        "description": f"{detail_type} from {source}: Detail = {{metadata, data}}",
        "type": "object",
        "required": ["metadata", "data"],
        "properties": {"metadata": metadata, "data": data},
    }
    if definitions:
        schema["$defs"] = definitions
    return _draft4(schema)
