"""DELETE /users/me — 204: profile, credentials and email claim removed, every refresh token
revoked, `UserDeleted` published (through the identity table's outbox)."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from commerce.api import correlation_id, current_caller, http_handler, make_resolver
from commerce.observability import logger, metrics, tracer
from commerce.openapi import BEARER, empty_response_doc, problem_responses
from users.wiring import profiles

app = make_resolver()


@app.delete(
    "/users/me",
    summary="Delete my account",
    tags=["users"],
    security=BEARER,
    responses={
        204: empty_response_doc(
            "Profile, credentials and personal data removed, tokens revoked, UserDeleted published"
        ),
        **problem_responses(401, descriptions={401: "The account no longer exists"}),
    },
)
@tracer.capture_method
def delete_me() -> Response[str]:
    caller = current_caller(app)
    profiles().delete(caller, correlation_id(app))
    metrics.add_metric(name="UsersDeleted", unit=MetricUnit.Count, value=1)
    logger.info("user deleted", extra={"user_id": caller.user_id})
    return Response(status_code=204, body="")


lambda_handler = http_handler(app)
