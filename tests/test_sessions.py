"""Automatic logoff: idle limits by role, an absolute cap, and sessions that end when the
account is deactivated or its password changes (HIPAA 164.312(a)(2)(iii), ASVS 7.3).
"""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from journeys.models import StageStatus
from journeys.security import SEEN_AT
from tests.conftest import PASSWORD

LOGIN = reverse("account_login")
WORKLIST = reverse("journeys:staff-worklist")
HOME = reverse("journeys:home")


@pytest.fixture
def clock():
    """Frozen time that the test moves forward by hand."""
    with time_machine.travel(timedelta(0), tick=False) as traveller:
        yield traveller


def signed_in(client):
    return "_auth_user_id" in client.session


def test_staff_are_still_signed_in_after_14_idle_minutes(client, nurse, clock):
    client.force_login(nurse)

    clock.shift(timedelta(minutes=14))
    assert client.get(WORKLIST).status_code == 200
    # Each visit restarts the idle clock.
    clock.shift(timedelta(minutes=14))
    assert client.get(WORKLIST).status_code == 200


def test_staff_are_signed_out_after_15_idle_minutes_and_told_why(client, nurse, clock):
    client.force_login(nurse)

    clock.shift(timedelta(minutes=15, seconds=1))
    response = client.get(WORKLIST)

    assert response.url == f"{LOGIN}?next={WORKLIST}"
    assert not signed_in(client)
    login_page = client.get(response.url).content.decode()
    assert "signed out after 15 minutes without activity" in login_page


def test_patients_are_still_signed_in_after_59_idle_minutes(client, patient, journey, clock):
    client.force_login(patient)

    clock.shift(timedelta(minutes=59))

    assert client.get(HOME).status_code == 200


def test_patients_are_signed_out_after_an_idle_hour(client, patient, journey, clock):
    client.force_login(patient)

    clock.shift(timedelta(minutes=60, seconds=1))

    assert client.get(HOME).url.startswith(LOGIN)
    assert not signed_in(client)


def test_the_idle_limits_are_settings(client, nurse, clock, settings):
    settings.SPINECARE_STAFF_IDLE_MINUTES = 5
    client.force_login(nurse)

    clock.shift(timedelta(minutes=5, seconds=1))

    assert client.get(WORKLIST).url.startswith(LOGIN)


def test_the_absolute_cap_signs_out_even_an_active_user(client, nurse, clock):
    client.force_login(nurse)
    for _ in range(12 * 60 // 14):  # active every 14 minutes for almost 12 hours
        clock.shift(timedelta(minutes=14))
        assert client.get(WORKLIST).status_code == 200

    clock.shift(timedelta(minutes=14))
    response = client.get(WORKLIST, follow=True)

    assert not signed_in(client)
    assert "signed in for 12 hours" in response.content.decode()


def test_a_form_posted_after_the_timeout_goes_to_the_login_page_without_replay(
    client, nurse, journey, clock
):
    client.force_login(nurse)
    stage = journey.stages.order_by("position").first()
    url = reverse("journeys:stage-action", args=[journey.pk, stage.pk])

    clock.shift(timedelta(minutes=16))
    response = client.post(url, {"action": "complete", "version": stage.version})

    assert response.url == LOGIN
    stage.refresh_from_db()
    assert stage.status != StageStatus.DONE


def test_an_htmx_request_after_the_timeout_navigates_to_the_login_page(client, nurse, clock):
    client.force_login(nurse)

    clock.shift(timedelta(minutes=16))
    response = client.get(WORKLIST, headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"] == LOGIN


def saved_seen_at(client):
    return Session.objects.get(session_key=client.session.session_key).get_decoded()[SEEN_AT]


def test_the_session_is_written_at_most_once_a_minute(client, nurse, clock, settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    client.force_login(nurse)
    signed_in_at = saved_seen_at(client)

    clock.shift(timedelta(seconds=59))
    client.get(WORKLIST)
    assert saved_seen_at(client) == signed_in_at

    clock.shift(timedelta(seconds=1))
    client.get(WORKLIST)
    assert saved_seen_at(client) == signed_in_at + 60


def test_deactivating_a_user_ends_their_session_at_once(client, patient, journey):
    client.post(LOGIN, {"login": patient.email, "password": PASSWORD})
    assert client.get(HOME).status_code == 200

    patient.is_active = False
    patient.save()

    # Django's backends refuse an inactive user on the very next request.
    assert client.get(HOME).url.startswith(LOGIN)
    assert not signed_in(client)
    # And the session is gone, so reactivating the account does not revive it.
    patient.is_active = True
    patient.save()
    assert client.get(HOME).url.startswith(LOGIN)


def test_deactivated_staff_lose_their_session_too(client, nurse):
    client.force_login(nurse)
    nurse.is_active = False
    nurse.save()

    assert client.get(WORKLIST).url.startswith(LOGIN)


def test_changing_the_password_signs_out_every_other_session(client, patient, journey):
    phone, laptop = Client(), client
    for device in (phone, laptop):
        device.post(LOGIN, {"login": patient.email, "password": PASSWORD})
        assert device.get(HOME).status_code == 200
    new_password = "another-long-passphrase-here"

    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    assert phone.get(HOME).url.startswith(LOGIN)
    # ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE: the device that changed it signs in again too.
    assert laptop.get(HOME).url.startswith(LOGIN)
    assert phone.post(LOGIN, {"login": patient.email, "password": new_password}).url == HOME
