"""POST /auth/logout — 204; the refresh token and every token of its family stop working."""

# No `from __future__ import annotations` here: Powertools reads the `Annotated[..., Body()]`
# parameter at runtime to validate the request body.

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from commerce.api import make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.openapi import empty_response_doc, problem_responses
from identity.domain import Identity
from identity.models import RefreshRequest
from identity.store import DynamoIdentityStore

app = make_resolver()


@app.post(
    "/auth/logout",
    summary="Log out",
    tags=["auth"],
    responses={
        204: empty_response_doc("The refresh token and its whole family are revoked"),
        **problem_responses(400, 401, 413, 415, 422, descriptions={401: "Unknown or expired refresh token"}),
    },
)
@tracer.capture_method
def logout(body: Annotated[RefreshRequest, Body()]) -> Response[str]:
    Identity(store=DynamoIdentityStore.from_env()).logout(body.refreshToken)
    return Response(status_code=204, body="")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
