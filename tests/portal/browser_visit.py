"""One person's tab on the portal, for the browser tests (tests/portal/conftest.py opens it)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page

SCREENSHOTS = Path(__file__).parent / "screenshots"


class Visit:
    """One person's tab on the portal; ``problems`` collects what the page's console
    reported as errors and the page errors nobody caught."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.problems: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(message.text)

    def shot(self, what: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{what}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def sign_in(self, token: str) -> None:
        self.page.goto("/")
        self.page.fill("#token", token)
        self.page.click("#signin button[type=submit]")
