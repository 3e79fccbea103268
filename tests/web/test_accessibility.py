"""Every page of the web application: axe-core finds no serious or critical violation (form
fields labelled, contrast, names of controls), the keyboard alone gets through the verification
page, and each page is photographed at desktop and phone width (outside the repository)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.utils.registry import drain, lesson_bundle, lesson_metadata, review_and_accept

from .conftest import PHONE, World, write_keystore

pytestmark = pytest.mark.anvil


def settle(page: Any, selector: str) -> None:
    page.wait_for_selector(selector)
    page.wait_for_load_state("networkidle")


def assert_accessible(world: World, page: Any, name: str) -> None:
    violations = world.axe(page)
    assert violations == [], f"{name}: {violations}"
    world.shoot(page, name)


def test_every_page_is_accessible_and_photographed(world: World) -> None:
    teacher = world.people.teacher
    teacher.request("PUT", "/users/me/profile", json={"display_name": "张老师", "title": "小学数学教师"})
    files = lesson_bundle(f"a11y-{uuid.uuid4()}")
    accepted = review_and_accept(world.people, teacher.submit(files, lesson_metadata(teacher.signer.address, files)))
    revised_files = lesson_bundle(f"a11y-revise-{uuid.uuid4()}")
    revise = teacher.submit(revised_files, lesson_metadata(teacher.signer.address, revised_files, title="需要修改的课例"))
    path = f"/resources/{revise['resource_id']}/versions/1"
    for reviewer in world.people.reviewers:
        reviewer.request("POST", path + "/claim")
        reviewer.request(
            "POST",
            path + "/reviews",
            json={
                "orientation_pass": True,
                "scores": {"科学性": 2, "适用性": 1, "规范性": 2, "思想性": 2, "技术性": 3},
                "comments": {"适用性": "学习任务单与教学目标衔接不够，请补充分层练习。"},
                "recommendation": "revise",
            },
        )
    world.people.admin.request("POST", path + "/decision", json={"decision": "request_revisions", "reason": "请按评审意见修改"})
    drain(world.app)
    certificate = teacher.request("GET", f"/resources/{accepted['resource_id']}/versions/1")["certificates"][0]["id"]
    keystore = write_keystore(world.keystores / "a11y.json", teacher.signer)

    page = world.page()
    public = [
        ("home", "/app/", "main h1"),
        ("verify", "/app/verify", "#verify-number"),
        ("verify-result", f"/app/verify/certificate/{certificate}", "[data-testid=certificate-facts]"),
        ("login", "/app/login", "#login-passphrase"),
        ("not-found", "/app/nowhere", "main h1"),
    ]
    for name, url, ready in public:
        page.goto(world.base + url)
        settle(page, ready)
        assert_accessible(world, page, name)

    world.sign_in(page, keystore)
    signed_in = [
        ("teacher-resources", "/app/teacher/resources", "[data-testid=my-resources]"),
        ("teacher-resource-accepted", f"/app/teacher/resources/{accepted['resource_id']}", "[data-testid=history]"),
        ("teacher-resource-revisions", f"/app/teacher/resources/{revise['resource_id']}", "[data-testid=reviews]"),
        ("teacher-new-version", f"/app/teacher/resources/{revise['resource_id']}/new-version", "[data-testid=reviews]"),
        ("teacher-submit", "/app/teacher/submit", "#submit-title"),
        ("teacher-certificates", "/app/teacher/certificates", "[data-testid=my-certificates] .qr svg"),
        ("profile", "/app/profile", "#profile-name"),
        ("home-signed-in", "/app/", "main h1"),
    ]
    for name, url, ready in signed_in:
        page.goto(world.base + url)
        settle(page, ready)
        assert_accessible(world, page, name)
    page.goto(world.base + f"/app/teacher/resources/{revise['resource_id']}/new-version")
    settle(page, "[data-testid=reviews]")
    assert "学习任务单与教学目标衔接不够" in page.inner_text("[data-testid=reviews]"), "the reviewers' comments are shown"
    assert page.input_value("#submit-title") == "需要修改的课例", "the new version starts from the previous one"

    english = world.page()
    english.goto(world.base + f"/app/verify/certificate/{certificate}")
    settle(english, "[data-testid=certificate-facts]")
    english.select_option("header select", "en-US")
    english.wait_for_selector("html[lang=en-US]", state="attached")
    assert "Certificate of Inclusion" in english.inner_text("main") and "Valid" in english.inner_text("[data-testid=outcome]")
    assert_accessible(world, english, "verify-result-english")
    assert not page.errors and not english.errors, (page.errors, english.errors)  # type: ignore[attr-defined]


def test_the_verification_page_works_from_the_keyboard_on_a_phone(world: World) -> None:
    teacher = world.people.teacher
    files = lesson_bundle(f"keys-{uuid.uuid4()}")
    accepted = review_and_accept(world.people, teacher.submit(files, lesson_metadata(teacher.signer.address, files)))
    drain(world.app)
    certificate = teacher.request("GET", f"/resources/{accepted['resource_id']}/versions/1")["certificates"][0]["id"]
    page = world.page(PHONE)
    page.goto(world.base + "/app/verify")
    settle(page, "#verify-number")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip", "the first Tab reaches 'skip to content'"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "verify-number":
            break
    assert page.evaluate("document.activeElement.id") == "verify-number", "Tab reaches the certificate number field"
    page.keyboard.type(str(certificate))
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=outcome][data-outcome=valid]")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"  # the 核验 button, then the file field
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "verify-file"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
