"""GET /swagger: Powertools' Swagger UI over the merged document of every API function."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.conftest import ROOT, FakeLambdaContext, load_event


def _get(query: dict[str, str] | None = None) -> dict[str, Any]:
    from system import swagger

    event = load_event("system.swagger.json")
    event["queryStringParameters"] = query
    context: Any = FakeLambdaContext()
    return swagger.lambda_handler(event, context)


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, operations in document["paths"].items() for method in operations}


def test_swagger_page_is_html_with_the_swagger_ui_assets_inlined() -> None:
    response = _get()

    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Content-Type"] == ["text/html"]
    body = response["body"]
    assert "SwaggerUIBundle" in body
    # Powertools' bundled assets, not a CDN's: the page works offline.
    assert "<script src=" not in body
    assert "<link rel='stylesheet'" not in body


def test_swagger_serves_the_whole_merged_document_not_its_own_routes() -> None:
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())

    served = json.loads(_get({"format": "json"})["body"])

    assert _operations(served) == _operations(committed)
    assert len(_operations(served)) >= 19
    assert served["info"]["title"] == committed["info"]["title"]
    assert served["components"]["securitySchemes"] == committed["components"]["securitySchemes"]
    # Relative to the page, so "Try it out" stays under the stage path API Gateway serves it at.
    assert served["servers"] == [{"url": "."}]


def test_swagger_module_imports_no_other_function_or_service_code() -> None:
    # Its own function: importing it loads none of the API functions' modules or their dependencies
    # (the venv's .pth puts functions/ and the commerce layer on the path, as the Lambda runtime does).
    probe = (
        "import sys, system.swagger; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'catalog','identity','orders','payments','users','inventory','notifications','stripe','jwt','boto3'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_the_documentation_is_the_merged_document_with_its_server_relative_to_the_page() -> None:
    from system.service import ApiDocumentation

    class FixedDocument:
        def read(self) -> dict[str, Any]:
            return {"openapi": "3.1.0", "servers": [{"url": "/"}], "paths": {"/health": {"get": {}}}}

    document = ApiDocumentation(source=FixedDocument()).document()

    assert document["paths"] == {"/health": {"get": {}}}
    assert document["servers"] == [{"url": "."}]
