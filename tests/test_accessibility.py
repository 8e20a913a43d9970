"""Accessibility (WCAG 2.2 AA) of every patient-facing page, in headless Chromium.

axe-core (the copy axe-playwright-python ships, so no network) checks each page at a
phone's width and must find nothing. A patient who uses only the keyboard can skip to
the content and tick their own checklist item, seeing where the focus is at every
step; every control on the home page is at least 24 by 24 CSS pixels.

Every test runs once per language in LANGUAGES; the browser asks for that language as
a person's browser would (Accept-Language), and the people who sign in chose it in
their account, since a signed-in person's choice wins over the browser.
"""

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from journeys.caregivers import caregiver_invite
from journeys.models import Owner, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "es"]
PHONE = {"width": 375, "height": 812}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MIN_TARGET = 24  # CSS px, WCAG 2.2 success criterion 2.5.8 (AA)
CARER_EMAIL = "carla@family.example"


@pytest.fixture(params=LANGUAGES)
def language(request):
    return request.param


@pytest.fixture
def phone(browser, language):
    """A phone-sized page in a fresh context whose browser asks for `language`."""
    context = browser.new_context(viewport=PHONE, locale=language)
    yield context.new_page()
    context.close()


@pytest.fixture
def caregiver(journey, stranger_journey, patient, stranger):
    """Someone two patients chose to follow their journeys, invited through the app, who
    has since set their password."""
    for shared, by in ((journey, patient), (stranger_journey, stranger)):
        grant = caregiver_invite(
            journey=shared,
            email=CARER_EMAIL,
            full_name="Carla Carer",
            relationship="daughter",
            by=by,
        )
    caregiver = grant.caregiver
    caregiver.set_password(PASSWORD)
    caregiver.save(update_fields=["password"])
    return caregiver


def sign_in(page, base_url, email, language="en"):
    """The real sign-in form, typed into as a person would (patients have no second factor),
    by someone who chose `language` in their account."""
    User.objects.filter(email=email).update(language=language)
    page.goto(f"{base_url}{reverse('account_login')}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form-card button[type=submit]").click()
    expect(page.locator("form[action$='/logout/']")).to_have_count(1)


def axe_violations(page):
    """axe-core's WCAG 2.0, 2.1 and 2.2 level A and AA rules, run on the page as it is now."""
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    return Axe().run(page, options=options).response["violations"]


def describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {' > '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


# Each page: who looks at it, and its address given the journey.
PAGES = {
    "sign-in": (None, lambda journey: reverse("account_login")),
    "home": ("patient", lambda journey: reverse("journeys:home")),
    "timeline": ("patient", lambda journey: reverse("journeys:journey", args=[journey.pk])),
    "preferences": ("patient", lambda journey: reverse("journeys:preferences")),
    "reminders": (
        "patient",
        lambda journey: reverse("journeys:journey-reminders", args=[journey.pk]),
    ),
    "preparation": ("patient", lambda journey: reverse("journeys:preparation", args=[journey.pk])),
    "calendar": ("patient", lambda journey: reverse("journeys:calendar", args=[journey.pk])),
    "caregivers": ("patient", lambda journey: reverse("journeys:caregivers", args=[journey.pk])),
    "access-log": ("patient", lambda journey: reverse("journeys:my-access-log")),
    "caregiver-home": ("caregiver", lambda journey: reverse("journeys:home")),
    "caregiver-journey": (
        "caregiver",
        lambda journey: reverse("journeys:journey", args=[journey.pk]),
    ),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_wcag_aa_violations(live_server, phone, language, name, journey, caregiver):
    who, url = PAGES[name]
    if who is not None:
        person = journey.patient if who == "patient" else caregiver
        sign_in(phone, live_server.url, person.email, language)
    phone.goto(f"{live_server.url}{url(journey)}")
    expect(phone.locator("html")).to_have_attribute("lang", language)
    expect(phone.locator("main h1")).to_have_count(1)
    if name == "caregiver-home":
        # They follow two journeys, so they choose one from a list.
        expect(phone.locator("main .followed a")).to_have_count(2)

    violations = axe_violations(phone)

    assert violations == [], f"{name} ({language}):\n{describe(violations)}"


def test_sign_in_error_has_no_wcag_aa_violations(live_server, phone, language, patient):
    phone.goto(f"{live_server.url}{reverse('account_login')}")
    phone.locator("#id_login").fill(patient.email)
    phone.locator("#id_password").fill("not-the-password")
    phone.locator("form.form-card button[type=submit]").click()
    expect(phone.get_by_role("alert")).to_be_visible()

    violations = axe_violations(phone)

    assert violations == [], f"sign-in error ({language}):\n{describe(violations)}"


FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.innerText || el.value || "").trim().slice(0, 80),
    item: el.closest("form") ? el.closest("form").getAttribute("action") : null,
    outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
    shadow: style.boxShadow,
  };
}"""


def focus_is_visible(focused):
    return focused["outline"] > 0 or focused["shadow"] not in ("", "none")


def test_keyboard_only_patient_skips_to_content_and_ticks_their_item(
    live_server, phone, language, patient, journey
):
    sign_in(phone, live_server.url, patient.email, language)
    # From the top of the page, as after a fresh load.
    phone.goto(f"{live_server.url}{reverse('journeys:home')}")
    toggle = phone.locator(".checklist form").first.get_attribute("action")
    item = next(
        item
        for item in journey.checklist_items.filter(owner=Owner.PATIENT)
        if reverse("journeys:checklist-toggle", args=[journey.pk, item.pk]) == toggle
    )
    assert not item.is_done

    phone.keyboard.press("Tab")
    skip = phone.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert focus_is_visible(phone.evaluate(FOCUSED))

    phone.keyboard.press("Enter")
    expect(phone.locator("main")).to_be_focused()

    seen = []
    for _ in range(40):
        phone.keyboard.press("Tab")
        focused = phone.evaluate(FOCUSED)
        seen.append(focused)
        assert focus_is_visible(focused), f"no visible focus on {focused}"
        if focused["item"] == toggle:
            break
    else:
        pytest.fail(f"Tab never reached the item's button; focus went to {seen}")
    # The first stop after skipping is inside the content, not back in the header.
    assert phone.evaluate("document.querySelector('main').contains(document.activeElement)")
    button = phone.locator(f"form[action='{toggle}'] button")
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-pressed", "false")

    phone.keyboard.press("Space")

    # Only the item is swapped (htmx): it shows done, and the focus stays on its button.
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_be_focused()
    assert focus_is_visible(phone.evaluate(FOCUSED))
    item.refresh_from_db()
    assert item.is_done


TARGETS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [role=button], [role=link], [tabindex]:not([tabindex="-1"])';
  return [...document.querySelectorAll(selector)].flatMap((el) => {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return [];  // not rendered
    const sentence = el.tagName === "A" && el.closest("p")
      && el.closest("p").textContent.trim() !== el.textContent.trim();
    if (sentence) return [];  // a link inside a sentence: the 2.5.8 inline exception
    return [{html: el.outerHTML.slice(0, 120), width: box.width, height: box.height}];
  });
}"""


# Known and not yet fixed; strict, so the mark must go once the page is fixed.
@pytest.mark.parametrize("name", PAGES)
def test_every_control_is_at_least_24_px(live_server, phone, language, name, journey, caregiver):
    """The home page above all, where patients tick their items; the others as well."""
    who, url = PAGES[name]
    if who is not None:
        person = journey.patient if who == "patient" else caregiver
        sign_in(phone, live_server.url, person.email, language)
    phone.goto(f"{live_server.url}{url(journey)}")
    expect(phone.locator("main h1")).to_have_count(1)
    if name == "home":
        expect(phone.locator(".checklist button").first).to_be_visible()

    targets = phone.evaluate(TARGETS)

    assert len(targets) >= 2
    small = [t for t in targets if t["width"] < MIN_TARGET or t["height"] < MIN_TARGET]
    assert small == [], f"{name}: targets under {MIN_TARGET}x{MIN_TARGET} px: {small}"


def test_the_stylesheet_styles_keyboard_focus():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "spinecare.css").read_text()
    assert re.search(r":focus-visible\s*\{[^}]*outline:\s*3px solid", css)


@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(
    live_server, phone, language, name, journey, caregiver
):
    """WCAG 1.4.10 (reflow): everything fits the phone's width, also in Spanish, whose
    sentences run about a fifth longer than the English."""
    who, url = PAGES[name]
    if who is not None:
        person = journey.patient if who == "patient" else caregiver
        sign_in(phone, live_server.url, person.email, language)
    phone.goto(f"{live_server.url}{url(journey)}")
    expect(phone.locator("main h1")).to_have_count(1)

    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")

    assert overflow <= 0, f"{name} ({language}) is {overflow} px wider than the phone"
