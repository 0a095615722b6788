"""Headless Chromium (Debian's chromium + chromedriver, driven by Selenium) against the test stack.

Selenium blocks, and the stack's servers run on the test's event loop, so journeys run in a
worker thread (`asyncio.to_thread`). Every page a journey visits is checked with axe-core
(from npm, installed by scripts/bootstrap.sh) for the WCAG 2.x A and AA and WCAG 2.2 AA rules.
Set CONVENE_SCREENSHOTS=<folder> to keep a screenshot of every page checked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = Path(__file__).parents[2] / ".venv" / "web" / "node_modules" / "axe-core" / "axe.min.js"
LINK = r"https?://\S+/sign-in/confirm\?token=[A-Za-z0-9_\-]+"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


class Browser:
    """One fresh Chromium profile; `visit`, `fill`, `press`, and `check` (axe + screenshot)."""

    def __init__(self, base_url: str, *, javascript: bool) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.base_url = base_url
        self.javascript = javascript
        self.profile = tempfile.mkdtemp(prefix="convene-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
            f"--user-data-dir={self.profile}",
        ):
            options.add_argument(flag)
        if not javascript:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2}
            )
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        self.driver.set_page_load_timeout(30)
        self.checked: list[str] = []

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    # -- moving around ------------------------------------------------------------------------

    def visit(self, path: str) -> None:
        self.driver.get(self.base_url + path if path.startswith("/") else path)

    def fill(self, field_id: str, value: str) -> None:
        from selenium.webdriver.common.by import By

        element = self.driver.find_element(By.ID, field_id)
        element.clear()
        element.send_keys(value)

    def press(self, text: str) -> None:
        """Select the button (or button-like link) with this text, as a person would."""
        from selenium.webdriver.common.by import By

        for element in self.driver.find_elements(By.CSS_SELECTOR, "button, a.govuk-button"):
            if element.text.strip() == text:
                self._then_wait_for_next_page(element.click)
                return
        raise AssertionError(f"no button {text!r} on {self.path}")

    def follow(self, text: str) -> None:
        from selenium.webdriver.common.by import By

        self._then_wait_for_next_page(self.driver.find_element(By.LINK_TEXT, text).click)

    def _then_wait_for_next_page(self, action) -> None:  # type: ignore[no-untyped-def]
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        page = self.driver.find_element(By.TAG_NAME, "html")
        action()

        def gone(_: object) -> bool:
            # The old page's root is stale once the next page has replaced it. Chromium says so
            # with StaleElementReference or, mid-navigation, "Node ... does not belong to the
            # document": both mean the same here.
            try:
                page.is_enabled()
            except WebDriverException:
                return True
            return False

        WebDriverWait(self.driver, 15).until(gone)

    @property
    def path(self) -> str:
        return str(self.driver.current_url).removeprefix(self.base_url)

    @property
    def heading(self) -> str:
        from selenium.webdriver.common.by import By

        headings = self.driver.find_elements(By.TAG_NAME, "h1")
        if headings:
            return str(headings[0].text).strip()
        labels = self.driver.find_elements(By.CSS_SELECTOR, "label.govuk-label--l")
        return str(labels[0].text).strip() if labels else ""

    @property
    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def set_cookie(self, name: str, value: str) -> None:
        self.visit("/cookies")
        self.driver.add_cookie({"name": name, "value": value, "path": "/", "httpOnly": True})

    # -- checking -----------------------------------------------------------------------------

    def check(self, name: str) -> None:
        """axe-core finds no WCAG 2.2 A/AA violation on this page; keeps a screenshot if asked."""
        folder = os.environ.get("CONVENE_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            suffix = "" if self.javascript else "-no-js"
            self.driver.save_screenshot(str(Path(folder) / f"{name}{suffix}.png"))
        self.checked.append(self.path)
        if not self.javascript:
            return  # axe is itself JavaScript: pages are checked in the JavaScript run
        self.driver.execute_script(AXE.read_text())
        result: dict[str, Any] = self.driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})
              .then(r => done({violations: r.violations.map(v => ({
                  id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map(n => n.target.join(' '))}))}))
              .catch(e => done({error: String(e)}));
            """,
            WCAG_TAGS,
        )
        assert "error" not in result, result
        assert result["violations"] == [], (
            f"axe-core found accessibility violations on {self.path}:\n"
            + json.dumps(result["violations"], indent=2)
        )


def link_in_mailbox_sync(mailbox, to: str, template: str, timeout: float = 15) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.messages():
            if message.to == to and message.template == template:
                match = re.search(LINK, message.body)
                if match:
                    return match.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no {template} email to {to}")
