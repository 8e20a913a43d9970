"""The core slice in a real browser: a patient signs in and sees their journey, a nurse
marks the current stage done, the patient reloads and sees the next step.

Headless Chromium driven by Playwright's sync API against pytest-django's live server.
Set SPINECARE_SCREENSHOTS=1 to also write docs/screenshots/patient-home.png.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, totp_code

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "patient-home.png"
BRAND_BLUE = "rgb(11, 92, 173)"  # --color-brand in static/css/spinecare.css


def sign_in(page, base_url, email, password):
    """Type into the real allauth sign-in form, as a person would."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def enter_second_factor(page, user):
    """allauth's two-factor page asks for the code the user's authenticator app shows."""
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(user))
    page.get_by_role("button", name="Sign in").click()


def steps_list(page):
    return page.get_by_role("region", name="Your journey, step by step").get_by_role("listitem")


@pytest.fixture
def nurse_page(browser):
    """The nurse's own browser context, so the two sessions never share a cookie."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_wrong_password_shows_an_error_and_does_not_sign_in(live_server, page, patient, journey):
    sign_in(page, live_server.url, patient.email, "not-the-password")

    expect(page.get_by_text(re.compile("password you specified are not correct"))).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_text("Your next step:")).to_have_count(0)


def test_patient_sees_the_journey_and_the_next_step_after_the_nurse_marks_one_done(
    live_server, page, nurse_page, patient, nurse, journey, totp_window
):
    titles = list(journey.stages.order_by("position").values_list("title", flat=True))
    assert len(titles) == 10
    first, second = titles[0], titles[1]

    # 1. The patient signs in on a phone and lands on their journey.
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, patient.email, PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    next_step = page.get_by_role("heading", level=1)
    expect(next_step).to_have_text(f"Your next step: {first}")
    expect(steps_list(page)).to_have_count(10)
    expect(steps_list(page).locator(".step-title")).to_have_text(titles)
    current = page.locator('[aria-current="step"]')
    expect(current).to_have_count(1)
    expect(current).to_contain_text(first)
    expect(current).to_contain_text("Current step")
    # The stylesheet is served and applied by the live server.
    expect(page.locator(".site-header")).to_have_css("background-color", BRAND_BLUE)
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    if os.environ.get("SPINECARE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT, full_page=True)

    # 3. The nurse signs in (password, then the code from her authenticator app), opens
    # the worklist, opens the patient, marks the stage done.
    sign_in(nurse_page, live_server.url, nurse.email, PASSWORD)
    enter_second_factor(nurse_page, nurse)
    expect(nurse_page).to_have_url(f"{live_server.url}/staff/")
    expect(nurse_page.get_by_role("heading", name="Patients")).to_be_visible()
    nurse_page.get_by_role("link", name=patient.full_name).click()

    expect(nurse_page.get_by_role("heading", level=1)).to_have_text(patient.full_name)
    stage = nurse_page.locator("li.stage").filter(
        has=nurse_page.get_by_role("heading", name=re.compile(f"^{re.escape(first)}"))
    )
    expect(stage.locator(".badge")).to_have_text("In progress")
    stage.get_by_role("button", name="Mark done").click()

    expect(nurse_page.get_by_role("status")).to_have_text(f"{first}: Done.")
    expect(stage.locator(".badge")).to_have_text("Done")

    # 4. The patient reloads and sees the following step as the current one.
    page.reload()

    expect(next_step).to_have_text(f"Your next step: {second}")
    expect(current).to_have_count(1)
    expect(current).to_contain_text(second)
    expect(steps_list(page).filter(has_text=first)).to_contain_text("Done")
