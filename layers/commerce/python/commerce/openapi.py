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

#: What each status means when a service has nothing more specific to say.
DEFAULT_PROBLEMS: Mapping[int, str] = {
    400: "Malformed JSON",
    401: "Missing, invalid or expired token",
    403: "Authenticated but not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Body over 64 KiB",
    415: "Body is not JSON",
    422: "Validation error",
    429: "Too many requests (see Retry-After)",
}


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


def problem_responses(
    *statuses: int, descriptions: Mapping[int, str] | None = None
) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` entries for the problem+json errors a route can answer with.

    `descriptions` overrides DEFAULT_PROBLEMS for the statuses it names."""
    meaning = {**DEFAULT_PROBLEMS, **(descriptions or {})}
    return {
        status: {
            "description": meaning[status],
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
