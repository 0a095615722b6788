"""The `browser` fixture: a fresh headless Chromium per test, with and without JavaScript.

The browser itself and the mailbox helper live in `web_browser.py`, which tests import by that
name (a module called `conftest` would be ambiguous between test folders).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web_browser import AXE, CHROMEDRIVER, CHROMIUM, Browser

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        "tests/web need Debian's chromium and chromium-driver (scripts/test.sh installs them)",
        allow_module_level=True,
    )


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def browser(request, stack) -> Iterator[Browser]:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.fail("axe-core is missing: run scripts/bootstrap.sh")
    browser = Browser(stack.gateway_url, javascript=request.param)
    try:
        yield browser
    finally:
        browser.close()
