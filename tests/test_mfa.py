"""The second factor: the care team must enrol one, and allauth's login then requires it.

allauth offers TOTP and recovery codes but enforces nothing; journeys.security does.
Codes are computed from the secret allauth stored, as an authenticator app would.
"""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from journeys.models import Role
from tests.conftest import (
    PASSWORD,
    enrol_totp,
    make_user,
    recovery_codes,
    totp_code,
)
from tests.test_settings import production_env, run_python, settings_value

pytestmark = pytest.mark.usefixtures("totp_window")

LOGIN = reverse("account_login")
MFA_AUTHENTICATE = reverse("mfa_authenticate")
MFA_SETUP = reverse("mfa_activate_totp")
WORKLIST = reverse("journeys:staff-worklist")


def sign_in(client, user, password=PASSWORD, next_url=None):
    data = {"login": user.email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def second_factor(client, code):
    return client.post(MFA_AUTHENTICATE, {"code": code})


def open_setup(client):
    """allauth asks for the password again before adding a factor, even just after sign-in."""
    response = client.get(MFA_SETUP)
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert client.post(response.url, {"password": PASSWORD}).url == MFA_SETUP
    return client.get(MFA_SETUP)


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def new_nurse(clinic):
    """A nurse who has not enrolled a second factor yet."""
    return make_user("new.nurse@test.example", Role.STAFF, clinic, "Nora New", second_factor=False)


def test_staff_without_a_second_factor_is_sent_to_set_one_up_and_sees_no_patient(
    client, new_nurse, journey
):
    client.force_login(new_nurse)

    for url in (WORKLIST, reverse("journeys:staff-journey", args=[journey.pk]), "/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == MFA_SETUP

    page = client.get(WORKLIST, follow=True).content.decode()
    assert journey.patient.full_name not in page
    assert "Set up two-factor authentication" in page


def test_an_htmx_request_navigates_the_whole_page_to_the_setup(client, new_nurse, journey):
    client.force_login(new_nurse)

    response = client.get(WORKLIST, headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"] == MFA_SETUP
    assert journey.patient.full_name not in response.content.decode()


def test_staff_who_enrol_totp_get_in(client, new_nurse, journey):
    assert sign_in(client, new_nurse).url == reverse("journeys:home")
    assert client.get(WORKLIST).url == MFA_SETUP
    assert open_setup(client).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))

    response = client.post(MFA_SETUP, {"code": code})

    # allauth generates recovery codes with the first factor and shows them next.
    assert response.url == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=new_nurse).count() == 2
    worklist = client.get(WORKLIST)
    assert worklist.status_code == 200
    assert journey.patient.full_name in worklist.content.decode()


def test_a_wrong_code_does_not_enrol(client, new_nurse):
    sign_in(client, new_nurse)
    open_setup(client)

    response = client.post(MFA_SETUP, {"code": "000000"})

    assert "Incorrect code" in response.content.decode()
    assert not Authenticator.objects.filter(user=new_nurse).exists()
    assert client.get(WORKLIST).url == MFA_SETUP


def test_sign_in_asks_for_the_code_and_a_valid_one_lets_the_nurse_in(client, nurse):
    response = sign_in(client, nurse)

    assert response.url == MFA_AUTHENTICATE
    assert not signed_in(client)
    assert client.get(WORKLIST).url.startswith(LOGIN)

    response = second_factor(client, totp_code(nurse))

    assert response.url == reverse("journeys:home")
    assert signed_in(client)
    assert client.get(WORKLIST).status_code == 200


def test_a_used_code_cannot_be_replayed_in_another_sign_in(client, nurse):
    code = totp_code(nurse)
    sign_in(client, nurse)
    assert second_factor(client, code).url == reverse("journeys:home")

    attacker = Client()
    sign_in(attacker, nurse)
    response = second_factor(attacker, code)

    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not signed_in(attacker)


def test_a_wrong_code_is_refused(client, nurse):
    sign_in(client, nurse)
    wrong = f"{(int(totp_code(nurse)) + 1) % 1_000_000:06d}"

    response = second_factor(client, wrong)

    assert "Incorrect code" in response.content.decode()
    assert not signed_in(client)


def test_a_recovery_code_works_once(client, nurse):
    code = recovery_codes(nurse)[0]
    sign_in(client, nurse)
    assert second_factor(client, code).url == reverse("journeys:home")
    assert code not in recovery_codes(nurse)

    again = Client()
    sign_in(again, nurse)
    response = second_factor(again, code)

    assert "Incorrect code" in response.content.decode()
    assert not signed_in(again)


def test_a_password_reset_does_not_skip_the_second_factor(client, nurse):
    client.post(reverse("account_reset_password"), {"email": nurse.email})
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mail.outbox[-1].body)
    form_url = client.get(link.group(0)).url  # allauth moves the key out of the URL
    new_password = "a-brand-new-long-passphrase"

    response = client.post(form_url, {"password1": new_password, "password2": new_password})

    assert response.status_code == 302
    assert not signed_in(client)
    assert sign_in(client, nurse, new_password).url == MFA_AUTHENTICATE
    assert not signed_in(client)
    assert second_factor(client, totp_code(nurse)).url == reverse("journeys:home")


@pytest.fixture
def admin_user(clinic):
    admin = make_user("admin@test.example", Role.CLINIC_ADMIN, clinic, "Ada Admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return admin


def test_the_admin_login_is_allauths_and_asks_for_the_second_factor(client, admin_user):
    admin_login = client.get(reverse("admin:index"), follow=True)
    assert admin_login.redirect_chain[-1][0] == f"{LOGIN}?next=%2Fadmin%2F"

    assert sign_in(client, admin_user, next_url="/admin/").url == MFA_AUTHENTICATE
    assert client.get(reverse("admin:index")).status_code == 302

    assert second_factor(client, totp_code(admin_user)).url == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admins_own_login_form_cannot_sign_anyone_in(client, admin_user):
    response = client.post(
        reverse("admin:login"), {"username": admin_user.email, "password": PASSWORD}
    )

    assert response.url.startswith(LOGIN)
    assert not signed_in(client)


def test_an_admin_without_a_second_factor_is_sent_to_set_one_up(client, db):
    from journeys.models import User

    superuser = User.objects.create_superuser("root@test.example", PASSWORD)
    client.force_login(superuser)

    assert client.get(reverse("admin:index")).url == MFA_SETUP


def test_patients_need_no_second_factor_but_may_enrol_one(client, patient, journey):
    sign_in(client, patient)
    assert client.get("/").status_code == 200

    enrol_totp(patient)
    client.logout()

    assert sign_in(client, patient).url == MFA_AUTHENTICATE
    assert second_factor(client, totp_code(patient)).url == reverse("journeys:home")


def test_the_demo_setting_turns_enforcement_off(client, new_nurse, journey, settings):
    settings.SPINECARE_REQUIRE_STAFF_MFA = False
    client.force_login(new_nurse)

    assert journey.patient.full_name in client.get(WORKLIST).content.decode()


def test_enforcement_is_on_and_no_factor_is_skipped_unless_the_demo_says_so():
    names = "SPINECARE_REQUIRE_STAFF_MFA MFA_TRUST_ENABLED MFA_TOTP_TOLERANCE MFA_TOTP_PERIOD"
    values = settings_value(f"[getattr(settings, n) for n in {names.split()!r}]")

    assert values == "[True, False, 0, 30]"


def test_production_refuses_to_turn_enforcement_off():
    result = run_python(
        "import django; django.setup()", **production_env(SPINECARE_REQUIRE_STAFF_MFA="false")
    )

    assert result.returncode != 0
    assert "SPINECARE_REQUIRE_STAFF_MFA" in result.stderr


def virtual_security_key(page):
    """Chromium's built-in virtual authenticator (DevTools protocol): a key that always
    answers, as if touched. WebAuthn allows http://localhost, the live server's origin."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    options = {"protocol": "ctap2", "transport": "usb", "hasResidentKey": True}
    options |= {"hasUserVerification": True, "isUserVerified": True}
    devtools.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def browser_sign_in(page, base_url, user):
    page.goto(f"{base_url}{LOGIN}")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
def test_a_nurse_can_enrol_and_use_a_security_key_instead_of_codes(live_server, page, new_nurse):
    virtual_security_key(page)
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else 0)
    browser_sign_in(page, live_server.url, new_nurse)
    expect(page.get_by_text("Set up two-factor authentication")).to_be_visible()

    page.goto(f"{live_server.url}{reverse('mfa_add_webauthn')}")
    page.get_by_label("Password").fill(PASSWORD)  # allauth asks again before adding
    page.get_by_role("button", name="Confirm").click()
    # allauth's script binds the key buttons on DOMContentLoaded: a click before that,
    # on a busy machine, did nothing. The user, too, presses once the page has loaded.
    expect(page).to_have_url(f"{live_server.url}{reverse('mfa_add_webauthn')}")
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Add").click()
    expect(page).to_have_url(re.compile(reverse("mfa_view_recovery_codes")))
    page.goto(f"{live_server.url}{WORKLIST}")
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    browser_sign_in(page, live_server.url, new_nurse)
    expect(page).to_have_url(f"{live_server.url}{MFA_AUTHENTICATE}")
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Use a security key").click()

    expect(page).to_have_url(f"{live_server.url}{WORKLIST}")
    assert blocked == []
