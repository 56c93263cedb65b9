"""GET /.well-known/jwks.json — the public keys of every key that may have signed a live token."""

# No `from __future__ import annotations`: Powertools reads the route's signature at runtime.

from aws_lambda_powertools.event_handler import Response

from commerce.api import http_handler, json_response, make_resolver
from commerce.observability import tracer
from commerce.openapi import json_response_doc
from identity.keys import verification_key_ders
from identity.models import Jwks
from identity.tokens import public_jwk_from_spki

app = make_resolver()


@app.get(
    "/.well-known/jwks.json",
    summary="Public signing keys (JWKS)",
    tags=["auth"],
    responses={
        200: json_response_doc(
            "Every key that may have signed a live access token (Cache-Control: public, max-age=300)", Jwks
        )
    },
)
@tracer.capture_method
def jwks() -> Response[str]:
    keys = [public_jwk_from_spki(der, kid) for kid, der in sorted(verification_key_ders().items())]
    return json_response(200, {"keys": keys}, headers={"Cache-Control": "public, max-age=300"})


lambda_handler = http_handler(app)
