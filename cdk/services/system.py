"""System routes: GET /health, and GET /swagger (Swagger UI for the whole API)."""

from __future__ import annotations

from constructs import Construct

from cdk.config import ROOT
from cdk.constructs.function import ServiceFunction
from cdk.constructs.platform import Platform

# The merged OpenAPI document of every API function (`make openapi`), shipped beside the swagger module.
OPENAPI_DOCUMENT = ROOT / "docs" / "openapi.json"


class SystemService(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platform: Platform) -> None:
        super().__init__(scope, construct_id)
        self.health = ServiceFunction(
            self,
            "Health",
            platform=platform,
            service="system",
            handler="health.lambda_handler",
            description="GET /health",
            memory_size=128,
        )
        platform.api.add_route("GET", "/health", self.health.function, authenticated=False)
        # Its own function, so no other route's cold start pays for the page; the document is public
        # anyway (docs/openapi.json, decision 10).
        self.swagger = ServiceFunction(
            self,
            "Swagger",
            platform=platform,
            service="system",
            handler="swagger.lambda_handler",
            description="GET /swagger (Swagger UI of the whole API)",
            memory_size=256,
            code_files={"system/openapi.json": OPENAPI_DOCUMENT},
        )
        platform.api.add_route("GET", "/swagger", self.swagger.function, authenticated=False)
