"""POST /auth/refresh — rotate a refresh token: the old one is spent, a new pair is issued.

Presenting a token that was already used revokes its whole family (401 from then on).
"""

# No `from __future__ import annotations` here: Powertools reads the `Annotated[..., Body()]`
# parameter at runtime to validate the request body.

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import json_response, make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.openapi import json_response_doc, problem_responses
from identity.domain import Identity
from identity.keys import KmsAccessTokenIssuer
from identity.models import RefreshRequest, TokenPair
from identity.store import DynamoIdentityStore

app = make_resolver()


@app.post(
    "/auth/refresh",
    summary="Rotate a refresh token",
    tags=["auth"],
    responses={
        200: json_response_doc("A new token pair; the presented refresh token is spent", TokenPair),
        **problem_responses(
            400,
            401,
            413,
            415,
            422,
            descriptions={
                401: "Unknown, expired, revoked or already used refresh token (reuse revokes its family)"
            },
        ),
    },
)
@tracer.capture_method
def refresh(body: Annotated[RefreshRequest, Body()]) -> Response[str]:
    service = Identity(store=DynamoIdentityStore.from_env(), issue_access_token=KmsAccessTokenIssuer())
    pair = service.refresh(body.refreshToken)
    return json_response(200, pair.body(), headers={"Cache-Control": "no-store"})


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
