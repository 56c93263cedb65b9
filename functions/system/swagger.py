"""GET /swagger — Swagger UI for the whole API, from Powertools' `enable_swagger`.

One function per route means each resolver knows one route, so this page shows the merged document
of every API function instead (`docs/openapi.json`, which `make openapi` writes with Powertools'
`OpenAPIMerge`). It reaches this resolver's OpenAPI merge as a schema, not by discovering the handler
modules: this function's code asset holds only its own service, and importing every handler would
be its cold start. The page inlines Powertools' bundled Swagger UI assets, so it needs no CDN.

Its own function, so no other route's cold start pays for the 1.5 MB page or the document.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from commerce.api import http_handler, make_resolver
from commerce.snapstart import prime_with
from system.wiring import api_documentation

TITLE = "Commerce API"

app = make_resolver()


@prime_with  # under SnapStart, read before the snapshot: the document is the code asset's, not a secret
@cache
def _merge_the_whole_api() -> None:
    """Once per process, before the first page: importing the module (tools/openapi.py does) reads
    nothing."""
    from aws_lambda_powertools.event_handler.openapi.models import Server

    document = api_documentation().document()
    info = document["info"]
    # No handler files to discover (pattern=[]): the one schema is the merged document itself.
    app.configure_openapi_merge(
        path=str(Path(__file__).parent),
        pattern=[],
        title=info.get("title", TITLE),
        version=info.get("version", "unknown"),
        description=info.get("description"),
        servers=[Server(**server) for server in document["servers"]],
        on_conflict="error",
    )
    # Powertools 3.37 takes a ready schema only through the merge object (no public setter).
    app._openapi_merge.add_schema(document)


def _with_the_whole_api(resolver: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    _merge_the_whole_api()
    return next_middleware(resolver)


app.enable_swagger(path="/swagger", title=TITLE, middlewares=[_with_the_whole_api])

lambda_handler = http_handler(app)
