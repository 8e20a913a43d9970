"""Invitations: the emailed, single-use, expiring link where a new account sets its password."""

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from journeys.invitations import InvitationError, invitation_accept, invitation_send
from journeys.models import AuditEvent, Invitation, Role
from journeys.people import person_create

NEW_PASSWORD = "lumbar-window-orchid-42"
LINK = re.compile(r"https?://\S+/invite/[\w-]+/")


@pytest.fixture
def invited(clinic):
    """A patient enrolled without a password, as a coordinator leaves them."""
    return person_create(
        email="new.patient@test.example",
        full_name="D'Arcy Nolan",
        role=Role.PATIENT,
        clinic=clinic,
    )


@pytest.fixture
def send(coordinator, django_capture_on_commit_callbacks):
    """Send an invitation the way the app does, and return the link from the email."""

    def send(user, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            invitation_send(user=user, by=coordinator, **kwargs)
        return LINK.search(mail.outbox[-1].body).group(0)

    return send


def path_of(link):
    return urlsplit(link).path


def token_of(link):
    return path_of(link).rstrip("/").rsplit("/", 1)[1]


def set_password(client, link, password=NEW_PASSWORD, confirm=None):
    data = {"password": password, "password_confirm": confirm or password}
    return client.post(path_of(link), data)


def actions(**filters):
    return list(AuditEvent.objects.filter(**filters).values_list("action", flat=True))


def test_the_emailed_link_sets_the_password_signs_in_and_lands_home(client, invited, send):
    link = send(invited)

    assert "Choose your password" in client.get(path_of(link)).content.decode()
    response = set_password(client, link)

    assert response.status_code == 302
    assert response.url == reverse("journeys:home")
    assert client.session["_auth_user_id"] == str(invited.pk)
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)
    assert Invitation.objects.get(user=invited).used_at is not None
    assert actions(patient=invited) == ["invitation.accept", "invitation.send"]


def test_the_email_names_the_clinic_and_says_the_link_works_once(invited, send, clinic):
    send(invited)

    message = mail.outbox[-1]
    assert message.to == ["new.patient@test.example"]
    assert clinic.name in message.subject
    # Plain text is not HTML-escaped: the name reads as typed.
    assert "Hello D'Arcy," in message.body
    assert "works once" in message.body
    assert "Call your care team at (555) 123-4567" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert LINK.search(html)


def test_only_a_hash_of_the_token_is_stored_and_it_expires_in_seven_days(invited, send):
    token = token_of(send(invited))

    invitation = Invitation.objects.get(user=invited)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)


def test_a_second_use_of_the_link_is_refused_and_changes_nothing(client, invited, send):
    link = send(invited)
    set_password(client, link)
    client.logout()

    response = set_password(client, link, password="another-fine-password-9")

    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert "_auth_user_id" not in client.session
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)
    refused = AuditEvent.objects.get(action="invitation.refused")
    assert (refused.patient, refused.detail["reason"]) == (invited, "used")


def test_an_expired_link_is_refused_with_a_clear_message(client, invited, send):
    link = send(invited)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        page = client.get(path_of(link))
        posted = set_password(client, link)

    for response in (page, posted):
        assert response.status_code == 410
        assert "This invitation has expired. Ask your clinic for a new one." in (
            response.content.decode()
        )
    assert "_auth_user_id" not in client.session
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    assert Invitation.objects.get(user=invited).used_at is None
    reasons = AuditEvent.objects.filter(action="invitation.refused").values_list(
        "detail__reason", flat=True
    )
    assert list(reasons) == ["expired", "expired"]


def test_a_weak_password_gets_the_validators_message_and_the_link_still_works(
    client, invited, send
):
    link = send(invited)

    response = set_password(client, link, password="password")

    page = response.content.decode()
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in page
    assert "This password is too common." in page
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    assert Invitation.objects.get(user=invited).used_at is None
    assert set_password(client, link).status_code == 302


def test_two_different_passwords_are_refused(client, invited, send):
    link = send(invited)

    response = set_password(client, link, confirm="not-the-same-password-1")

    assert "The two passwords are not the same." in response.content.decode()
    assert Invitation.objects.get(user=invited).used_at is None


def test_an_unknown_link_is_a_404_and_audited(client, db):
    response = client.get(reverse("journeys:invitation-accept", args=["no-such-token"]))

    assert response.status_code == 404
    assert "This invitation link is not valid." in response.content.decode()
    assert AuditEvent.objects.get(action="invitation.refused").detail == {"reason": "unknown"}


def test_a_new_invitation_retires_the_earlier_link(client, invited, send):
    first = send(invited)
    second = send(invited)

    response = client.get(path_of(first))

    assert response.status_code == 410
    assert "A newer invitation has been sent to you." in response.content.decode()
    assert set_password(client, second).status_code == 302


class SecondSubmitWinsFirst:
    """A password validator standing in for a second submit of the same link that
    finishes while the first is still checking its password."""

    def __init__(self, race):
        self.race = race

    def validate(self, password, user=None):
        token = self.race.pop("token", None)
        if token is not None:
            invitation_accept(token=token, password="the-other-tab-password-7")

    def get_help_text(self):
        return ""


def test_two_submits_racing_on_one_link_set_the_password_only_once(invited, send):
    token = token_of(send(invited))
    race = {"token": token}
    validators = [{"NAME": f"{__name__}.SecondSubmitWinsFirst", "OPTIONS": {"race": race}}]

    with (
        override_settings(AUTH_PASSWORD_VALIDATORS=validators),
        pytest.raises(InvitationError, match="already been used"),
    ):
        invitation_accept(token=token, password=NEW_PASSWORD)

    invited.refresh_from_db()
    assert invited.check_password("the-other-tab-password-7")
    assert actions(action__startswith="invitation.") == [
        "invitation.refused",
        "invitation.accept",
        "invitation.send",
    ]


@override_settings(SITE_URL="https://portal.example.org/")
def test_outside_a_request_the_link_starts_with_site_url(invited, send):
    assert send(invited).startswith("https://portal.example.org/invite/")


def test_inside_a_request_the_link_starts_with_the_requests_host(invited, send, rf):
    request = rf.get("/", HTTP_HOST="localhost")

    assert send(invited, request=request).startswith("http://localhost/invite/")


def test_staff_are_never_invited_by_email(nurse, coordinator):
    with pytest.raises(ValidationError, match="Only patients and caregivers"):
        invitation_send(user=nurse, by=coordinator)

    assert not Invitation.objects.exists()


def test_someone_who_has_a_password_is_pointed_to_the_reset_page(patient, coordinator):
    with pytest.raises(ValidationError, match="Forgot your password"):
        invitation_send(user=patient, by=coordinator)


def test_an_invited_user_signs_in_with_the_password_they_chose(client, invited, send):
    set_password(client, send(invited))
    client.logout()

    response = client.post(
        reverse("account_login"), {"login": invited.email, "password": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(invited.pk)
