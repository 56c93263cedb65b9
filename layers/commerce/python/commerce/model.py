"""The base of every pydantic model in Commerce: validators are built on first use, not at import.

pydantic builds a model's core schema, validator and serializer when the class statement runs,
which is most of what importing a module of models costs. A function imports many models it never
uses in a given invocation (every event of the contract, the response models that exist only for
the OpenAPI document), so each model is built the first time something validates, serializes or
asks for its JSON Schema (`defer_build`), and a cold start pays only for the models it touches.
Subclasses add their own `model_config`; pydantic merges it with this one.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
