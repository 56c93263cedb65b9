"""PATCH /users/me — change name, phone or shippingAddress; any other field → 422."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.

from typing import Any

from commerce.api import current_caller, http_handler, make_resolver
from commerce.observability import tracer
from commerce.openapi import BEARER, json_response_doc, problem_responses
from users.models import Profile, ProfilePatch
from users.wiring import profiles

app = make_resolver()


@app.patch(
    "/users/me",
    summary="Change my profile",
    tags=["users"],
    security=BEARER,
    responses={
        200: json_response_doc("The updated profile", Profile),
        **problem_responses(
            401,
            422,
            descriptions={
                401: "The account no longer exists",
                422: "E.g. a field other than name, phone, shippingAddress (such as roles), an empty name",
            },
        ),
    },
)
@tracer.capture_method
def patch_me(body: ProfilePatch) -> dict[str, Any]:
    return profiles().update(current_caller(app), body.sent_fields())


lambda_handler = http_handler(app)
