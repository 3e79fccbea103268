"""The security headers (Content-Security-Policy with frame-ancestors, X-Frame-Options, nosniff,
Referrer-Policy) leave the web application and the offline API documentation working in Chromium,
and a page opened from the content gateway runs no script (issue 10 item 9)."""

from __future__ import annotations

import re

import pytest

from .conftest import World

pytestmark = pytest.mark.anvil


def _policy_errors(errors: list[str], base: str) -> list[str]:
    """Violations that break a page: its own files, inline script or style. A load from elsewhere
    being blocked is the policy working (ReDoc's footer asks cdn.redoc.ly for a logo)."""
    violations = [e for e in errors if "Content Security Policy" in e or "Refused to" in e]
    return [e for e in violations if not re.search(r"'https?://(?!127\.0\.0\.1)[^']+'", e)]


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/app/", "#app main"),
        ("/app/verify", "#app main"),
        ("/docs", ".swagger-ui .info .title"),
        ("/redoc", "[role=search], .api-content h1"),
    ],
)
def test_pages_work_under_the_policy(world: World, path: str, rendered: str) -> None:
    page = world.page()
    response = page.goto(f"{world.base}{path}")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_selector(rendered, timeout=30_000)
    assert not _policy_errors(page.errors, world.base), page.errors  # type: ignore[attr-defined]


def test_uploaded_html_opened_from_the_gateway_runs_no_script(world: World) -> None:
    http = world.http
    teacher = world.people.teacher
    html = b"<!doctype html><html><body><p id=p>static</p><script>document.getElementById('p').textContent='ran'</script></body></html>"
    cid = http.post(
        "/ipfs", content=html, headers={"Authorization": f"Bearer {teacher.token}", "content-type": "application/octet-stream"}
    ).json()["cid"]
    page = world.page()
    with page.expect_download() as download:  # an attachment: the browser saves it, never renders it
        try:
            page.goto(f"{world.base}/ipfs/{cid}?filename=lesson.html")
        except Exception as exc:  # Chromium reports a navigation that became a download as aborted
            assert "net::ERR_ABORTED" in str(exc) or "Download is starting" in str(exc)
    assert download.value.suggested_filename == "lesson.html"
