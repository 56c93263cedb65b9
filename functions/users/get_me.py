"""GET /users/me — the caller's profile {userId, email, name, phone?, shippingAddress?, roles, createdAt}."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.

from typing import Any

from commerce.api import current_caller, http_handler, make_resolver
from commerce.observability import tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses
from users.models import Profile
from users.wiring import profiles

app = make_resolver()


@app.get(
    "/users/me",
    summary="My profile",
    tags=["users"],
    security=BEARER,
    responses={
        200: json_response_doc("The caller's profile", Profile),
        **problem_responses(401, descriptions={401: "The account no longer exists"}),
    },
)
@tracer.capture_method
def get_me() -> dict[str, Any]:
    return profiles().mine(current_caller(app))


lambda_handler = http_handler(app)
