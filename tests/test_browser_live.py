"""htmx in a real browser: ticking an item without reloading the page (and with JavaScript
off, by the plain form), and the surgery-day panel a caregiver watches updating itself.

A marker set on `window` before acting survives only if the page did not reload.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from journeys.caregivers import caregiver_invite
from journeys.models import ChecklistItem, Owner, Step
from journeys.transitions import stage_complete
from tests.conftest import PASSWORD
from tests.test_accessibility import axe_violations, describe
from tests.test_surgery_day import start_surgery

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
MARK = "() => { window.__stillHere = true; }"
STILL_HERE = "() => window.__stillHere === true"


def sign_in(page, base_url, email):
    """The real sign-in form: it works with JavaScript on or off."""
    page.goto(f"{base_url}{reverse('account_login')}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form-card button[type=submit]").click()
    expect(page.locator("form[action$='/logout/']")).to_have_count(1)


def csp_reports(page):
    """Console errors the Content-Security-Policy raises: htmx must cause none."""
    seen = []
    page.on(
        "console",
        lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return seen


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()


def first_open_item(journey):
    return (
        ChecklistItem.objects.filter(journey=journey, owner=Owner.PATIENT, done_at=None)
        .order_by("due_date", "id")
        .first()
    )


def test_ticking_an_item_updates_it_in_place_without_reloading_the_page(
    live_server, page, patient, journey
):
    item = first_open_item(journey)
    blocked = csp_reports(page)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, patient.email)
    page.goto(f"{live_server.url}{reverse('journeys:journey', args=[journey.pk])}")
    row = page.locator(f"#item-{item.pk}")
    expect(row.get_by_role("button")).to_have_attribute("aria-pressed", "false")
    page.evaluate(MARK)

    row.get_by_role("button").click()

    expect(row).to_have_class("checklist-item is-done")
    expect(row.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(STILL_HERE), "the page reloaded"
    # Focus stays on the item's button, so a keyboard user carries on from there.
    expect(row.get_by_role("button")).to_be_focused()
    item.refresh_from_db()
    assert item.is_done
    page.reload()
    expect(page.locator(f"#item-{item.pk}")).to_have_class("checklist-item is-done")
    assert blocked == []


def test_with_javascript_off_the_tick_posts_the_form_and_comes_back(
    live_server, no_js_page, patient, journey
):
    item = first_open_item(journey)
    timeline = f"{live_server.url}{reverse('journeys:journey', args=[journey.pk])}"
    sign_in(no_js_page, live_server.url, patient.email)
    no_js_page.goto(timeline)

    no_js_page.locator(f"#item-{item.pk}").get_by_role("button").click()

    expect(no_js_page).to_have_url(timeline)
    expect(no_js_page.locator(f"#item-{item.pk}")).to_have_class("checklist-item is-done")
    item.refresh_from_db()
    assert item.is_done


@pytest.fixture
def caregiver(journey, patient):
    grant = caregiver_invite(
        journey=journey,
        email="carla@family.example",
        full_name="Carla Carer",
        relationship="daughter",
        by=patient,
    )
    grant.caregiver.set_password(PASSWORD)
    grant.caregiver.save(update_fields=["password"])
    return grant.caregiver


def test_the_caregivers_panel_shows_the_next_step_on_its_own(
    live_server, page, caregiver, journey, nurse, settings
):
    settings.SPINECARE_LIVE_POLL_SECONDS = 1  # the page asks every second instead of 30
    start_surgery(journey, nurse)
    blocked = csp_reports(page)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, caregiver.email)
    page.goto(f"{live_server.url}{reverse('journeys:journey', args=[journey.pk])}")
    phase = page.locator("#surgery-live .live-phase")
    expect(phase).to_have_text("Anesthesia")
    page.evaluate(MARK)

    # In theatre: anesthesia is done, so the incision starts and the surgery is under way.
    stage_complete(stage=journey.stages.get(step=Step.ANESTHESIA), by=nurse)

    expect(phase).to_have_text("Surgery in progress")
    expect(page.locator("#surgery-live .live-events li")).to_have_count(2)
    expect(page.locator("#surgery-live .live-events li").last).to_contain_text("Surgery started")
    assert page.evaluate(STILL_HERE), "the page reloaded"
    assert blocked == []


@pytest.mark.parametrize("who", ["patient", "caregiver"])
def test_the_surgery_day_panel_has_no_wcag_aa_violations(
    live_server, page, who, patient, caregiver, journey, nurse
):
    start_surgery(journey, nurse)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, (patient if who == "patient" else caregiver).email)
    url = (
        reverse("journeys:home")
        if who == "patient"
        else reverse("journeys:journey", args=[journey.pk])
    )
    page.goto(f"{live_server.url}{url}")
    expect(page.locator("#surgery-live .live-phase")).to_have_text("Anesthesia")

    violations = axe_violations(page)

    assert violations == [], f"surgery-day panel ({who}):\n{describe(violations)}"
