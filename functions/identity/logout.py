"""POST /auth/logout — 204; the refresh token and every token of its family stop working."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.

from aws_lambda_powertools.event_handler import Response

from commerce.api import http_handler, make_resolver
from commerce.observability import tracer
from commerce.openapi import empty_response_doc, problem_responses
from identity.models import RefreshRequest
from identity.wiring import accounts

app = make_resolver()


@app.post(
    "/auth/logout",
    summary="Log out",
    tags=["auth"],
    responses={
        204: empty_response_doc("The refresh token and its whole family are revoked"),
        **problem_responses(401, descriptions={401: "Unknown or expired refresh token"}),
    },
)
@tracer.capture_method
def logout(body: RefreshRequest) -> Response[str]:
    accounts().logout(body.refreshToken)
    return Response(status_code=204, body="")


lambda_handler = http_handler(app)
