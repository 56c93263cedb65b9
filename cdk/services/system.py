"""System routes: GET /health."""

from __future__ import annotations

from constructs import Construct

from cdk.constructs.function import ServiceFunction
from cdk.constructs.platform import Platform


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
