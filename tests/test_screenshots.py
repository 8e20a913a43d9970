"""The README's screenshots, taken from the demo clinic the seed command builds.

Runs only with SPINECARE_SCREENSHOTS=1 and writes docs/screenshots/{page}-{size}.png:
home, timeline and preparation, each on a phone (375x812) and a desktop (1280x800).
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from journeys.demo import DEMO_PASSWORD
from journeys.models import Journey

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("SPINECARE_SCREENSHOTS") != "1", reason="set SPINECARE_SCREENSHOTS=1"
    ),
]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 800}}
DEMO_PATIENT = "patient@example.com"  # Maria Lopez, lumbar fusion, in preparation


@pytest.fixture
def demo(settings, role_groups):
    # The seed refuses to run without DEBUG: it creates accounts with a known password.
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())
    return Journey.objects.get(patient__email=DEMO_PATIENT)


@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_the_patients_pages(live_server, browser, demo, size):
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(f"{live_server.url}{reverse('account_login')}")
    page.locator("#id_login").fill(DEMO_PATIENT)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.form-card button[type=submit]").click()
    expect(page.locator("form[action$='/logout/']")).to_have_count(1)
    pages = {
        "home": reverse("journeys:home"),
        "timeline": reverse("journeys:journey", args=[demo.pk]),
        "preparation": reverse("journeys:preparation", args=[demo.pk]),
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    for name, url in pages.items():
        page.goto(f"{live_server.url}{url}")
        expect(page.locator("main h1")).to_have_count(1)
        path = SCREENSHOTS / f"{name}-{size}.png"
        page.screenshot(path=path, full_page=True)
        assert path.stat().st_size > 10_000
    context.close()
