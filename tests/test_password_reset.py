"""Password reset by email, through allauth, without telling anyone who has an account."""

import re
from urllib.parse import urlsplit

from django.core import mail
from django.urls import reverse

from journeys.models import Role
from journeys.people import person_create

NEW_PASSWORD = "sacrum-lantern-meadow-31"
RESET_LINK = re.compile(r"https?://\S+/accounts/password/reset/key/\S+/")
# Every page's language switch carries a CSRF token, masked afresh on each render.
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def request_reset(client, email):
    return client.post(reverse("account_reset_password"), {"email": email}, follow=True)


def without_csrf(response):
    return CSRF_TOKEN.sub("", response.content.decode())


def reset_link(message):
    return urlsplit(RESET_LINK.search(message.body).group(0)).path


def choose_new_password(client, link, password=NEW_PASSWORD):
    # allauth moves the key from the address into the session, then shows the form.
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0]
    return client.post(action, {"password1": password, "password2": password}, follow=True)


def test_a_patient_resets_their_password_by_email_and_signs_in_with_it(client, patient):
    request_reset(client, patient.email)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [patient.email]
    response = choose_new_password(client, reset_link(mail.outbox[0]))
    assert "Your password is changed" in response.content.decode()

    signed_in = client.post(
        reverse("account_login"), {"login": patient.email, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(patient.pk)


def test_the_reset_page_says_the_same_whether_or_not_the_email_is_registered(client, patient):
    known = request_reset(client, patient.email)
    unknown = request_reset(client, "nobody@test.example")

    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known) == without_csrf(unknown)
    assert "If an account uses this email address" in unknown.content.decode()
    assert [m.to for m in mail.outbox] == [[patient.email]]  # nothing to the unknown address


def test_a_used_reset_link_is_refused(client, patient):
    request_reset(client, patient.email)
    link = reset_link(mail.outbox[0])
    choose_new_password(client, link)
    client.logout()

    response = client.get(link, follow=True)

    assert "This password link is not valid" in response.content.decode()


def test_a_weak_new_password_is_refused_with_the_validators_message(client, patient):
    request_reset(client, patient.email)

    response = choose_new_password(client, reset_link(mail.outbox[0]), password="password")

    assert "This password is too common." in response.content.decode()
    patient.refresh_from_db()
    assert not patient.check_password("password")


def test_a_patient_who_never_used_their_invitation_can_reset_instead(client, clinic):
    invited = person_create(
        email="late@test.example", full_name="Lee Late", role=Role.PATIENT, clinic=clinic
    )

    request_reset(client, invited.email)
    choose_new_password(client, reset_link(mail.outbox[0]))

    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)


def test_every_reset_page_ends_by_pointing_to_the_care_team(client, patient):
    form = client.get(reverse("account_reset_password"))
    done = request_reset(client, patient.email)

    for response in (form, done):
        assert "call your care team" in response.content.decode()
