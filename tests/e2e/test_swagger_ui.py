"""GET /swagger serves Swagger UI for the whole API: a real headless browser (Debian's chromium and
chromium-driver) lists every operation of docs/openapi.json and "Try it out" on GET /health answers 200.

The page is opened under the stage path (`/dev/swagger`, as on API Gateway's own URL), so the try-out
must call `/dev/health`: the document's server is relative to the page. Skipped, saying why, where
Chromium or its driver is missing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, LocalStackProcess

pytestmark = pytest.mark.e2e

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PAGE_DEADLINE_S = 60


def _browser_missing() -> str | None:
    if shutil.which("chromium") is None:
        return "Debian's chromium is not installed (apt-get install chromium chromium-driver)"
    if shutil.which("chromedriver") is None:
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    # The driver Debian ships, never one Selenium Manager would download.
    driver = webdriver.Chrome(
        service=Service(executable_path=str(shutil.which("chromedriver"))), options=options
    )
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def swagger_page(browser: Any, local_stack: LocalStackProcess) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(local_stack.base_url + "dev/swagger")
    WebDriverWait(browser, PAGE_DEADLINE_S).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock"))
    )
    return browser


def _documented_operations() -> set[tuple[str, str]]:
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }


def test_swagger_ui_lists_every_operation_of_the_merged_document(swagger_page: Any) -> None:
    from selenium.webdriver.common.by import By

    listed = {
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.strip().upper(),
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"),
        )
        for block in swagger_page.find_elements(By.CSS_SELECTOR, ".opblock")
    }

    documented = _documented_operations()
    assert len(documented) >= 19  # every route of the contract, from every API function
    assert listed == documented


def test_swagger_ui_loads_nothing_from_outside_the_api(
    swagger_page: Any, local_stack: LocalStackProcess
) -> None:
    # Powertools' bundled Swagger UI assets are inlined in the page: it works with no CDN reachable.
    resources = swagger_page.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert all(str(url).startswith(local_stack.base_url) for url in resources), resources


def test_try_it_out_on_get_health_answers_200(swagger_page: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(swagger_page, PAGE_DEADLINE_S)
    health = next(
        block
        for block in swagger_page.find_elements(By.CSS_SELECTOR, ".opblock-get")
        if block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
        == "/health"
    )
    health.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda _: health.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
    health.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    wait.until(expected_conditions.element_to_be_clickable(health.find_element(By.CSS_SELECTOR, ".execute")))
    health.find_element(By.CSS_SELECTOR, ".execute").click()
    status = wait.until(
        lambda _: next(
            (
                cell.text.strip()
                for cell in health.find_elements(
                    By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"
                )
                if cell.text.strip()
            ),
            None,
        )
    )

    assert status == "200"
    request_url = health.find_element(By.CSS_SELECTOR, ".request-url pre").text.strip()
    assert request_url.endswith("/dev/health"), request_url
