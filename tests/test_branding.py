"""The clinic's name and logo in every page's header, and the settings behind them."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse

from tests.test_settings import run_python


def test_the_header_shows_the_patients_clinic_and_the_default_mark(client, patient, journey):
    client.force_login(patient)

    page = client.get(reverse("journeys:home")).content.decode()

    header = page.split('<header class="site-header">')[1].split("</header>")[0]
    assert "Test Spine Clinic" in header
    assert 'src="/static/img/spinecare-mark.svg"' in header
    assert (Path(settings.BASE_DIR) / "static" / "img" / "spinecare-mark.svg").exists()


def test_a_clinic_sets_its_own_logo(client, patient, journey, settings):
    settings.SPINECARE_CLINIC_LOGO = "img/riverside.svg"
    client.force_login(patient)

    page = client.get(reverse("journeys:home")).content.decode()

    assert 'src="/static/img/riverside.svg"' in page


def test_signed_out_pages_say_spinecare(client):
    page = client.get(reverse("account_login")).content.decode()

    header = page.split('<header class="site-header">')[1].split("</header>")[0]
    assert "SpineCare" in header


def test_a_poll_interval_out_of_range_stops_the_app_starting():
    result = run_python(
        "import django; django.setup()", SPINECARE_LIVE_POLL_SECONDS="0", DEBUG="true"
    )

    assert result.returncode != 0
    assert "SPINECARE_LIVE_POLL_SECONDS must be between 1 and 600" in result.stderr
