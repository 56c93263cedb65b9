"""OpenAPI helpers every API function shares: the problem+json schema, response entries, bearer auth.

Documentation only: Powertools reads these `responses`/`security` values to build the OpenAPI
document (tools/openapi.py); they change nothing at runtime.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from commerce.model import Model
from commerce.problems import PROBLEM_CONTENT_TYPE

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
"""`security=` of a route behind the Lambda authorizer (`Authorization: Bearer <access token>`)."""


class ValidationIssue(Model):
    loc: list[str]
    msg: str


class ProblemDetails(Model):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ValidationIssue] | None = None


def problem_responses(*statuses: int, descriptions: Mapping[int, str]) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` entries for the route's own problem+json errors (the domain errors its use
    case raises), each described for this route. The statuses every route shares (the body guard,
    validation, the authorizer, API Gateway's) are added by tools/openapi.py."""
    missing = [status for status in statuses if status not in descriptions]
    if missing:
        raise ValueError(f"describe {missing} for this route")
    return {
        status: {
            "description": descriptions[status],
            "content": {PROBLEM_CONTENT_TYPE: {"model": ProblemDetails}},
        }
        for status in statuses
    }


def json_response_doc(description: str, model: type[BaseModel]) -> OpenAPIResponse:
    """An OpenAPI `responses` entry for a JSON body described by a pydantic model."""
    return {"description": description, "content": {"application/json": {"model": model}}}


def empty_response_doc(description: str) -> OpenAPIResponse:
    """An OpenAPI `responses` entry without a body (e.g. 204)."""
    return {"description": description, "content": {}}
