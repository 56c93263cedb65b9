"""GET /users/{userId} — any user's profile, for admins only (403 otherwise, 404 if unknown)."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.

from typing import Any

from commerce.api import current_caller, http_handler, make_resolver
from commerce.observability import tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses
from users.models import Profile
from users.wiring import profiles

app = make_resolver()


@app.get(
    "/users/<userId>",
    summary="A user's profile (admin)",
    tags=["users"],
    security=BEARER,
    responses={
        200: json_response_doc("The user's profile", Profile),
        **problem_responses(
            403, 404, descriptions={403: "Authenticated but not an admin", 404: "No such user"}
        ),
    },
)
@tracer.capture_method
def get_user(userId: str) -> dict[str, Any]:
    return profiles().of(current_caller(app), userId)


lambda_handler = http_handler(app)
