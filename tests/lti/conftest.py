"""Fixtures for LTI tests: a platform on loopback, the tool on a live server, a browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from courses.lti.keys import tool_key_ensure
from courses.lti.registration import PlatformSettings, platform_register
from tests.lti.platform import Message, TestPlatform, parse_form

SESSION_COOKIE = "datagen_session"


class Browser:
    """A cookie-keeping HTTP client that plays the user's browser."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def start_login(self, platform: TestPlatform, hint: str) -> requests.Response:
        """The tool's answer to the platform's login initiation (a redirect to /auth)."""
        return self.http.get(platform.login_url(hint), allow_redirects=False, timeout=20)

    def authorize(self, platform: TestPlatform, hint: str) -> tuple[str, dict[str, str]]:
        """Log in and get the platform's auto-posting launch form (action, fields)."""
        login = self.start_login(platform, hint)
        assert login.status_code == 302, login.text[:500]
        page = self.http.get(login.headers["Location"], timeout=20)
        assert page.status_code == 200, page.text[:500]
        return parse_form(page.text)

    def launch(self, platform: TestPlatform, message: Message) -> requests.Response:
        """A complete launch; returns the tool's answer to the POST (not followed)."""
        action, fields = self.authorize(platform, platform.add_message(message))
        return self.post(action, fields)

    def post(self, url: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(url, data=data, allow_redirects=False, timeout=20)

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.http.get(url, timeout=20, **kwargs)

    @property
    def has_session(self) -> bool:
        return SESSION_COOKIE in self.http.cookies

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def platform(live_server) -> Iterator[TestPlatform]:
    lms = TestPlatform(live_server.url)
    yield lms
    lms.close()


@pytest.fixture
def registered(platform: TestPlatform, transactional_db) -> TestPlatform:
    """The platform, registered with the tool (which has its keys)."""
    tool_key_ensure()
    platform_register(
        settings=PlatformSettings(
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_login_url=f"{platform.base}/auth",
            auth_token_url=f"{platform.base}/token",
            key_set_url=f"{platform.base}/jwks",
            deployment_ids=[platform.deployment_id],
            title="Test LMS",
        )
    )
    return platform


@pytest.fixture
def make_browser() -> Iterator[Callable[[], Browser]]:
    """Browsers closed after the test: a live-server thread serving a kept-alive socket
    holds its database connection, and PostgreSQL will not drop a test database in use."""
    made: list[Browser] = []

    def make() -> Browser:
        made.append(Browser())
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def browser(make_browser) -> Browser:
    return make_browser()


@pytest.fixture
def other_browser(make_browser) -> Browser:
    return make_browser()
