"""Login throttling with allauth's rate limits (ACCOUNT_RATE_LIMITS defaults): failed
sign-ins are limited per account (5 in 5 minutes) and per address (10 a minute).

The counters live in the Django cache (tests/conftest.py empties it around each test);
production requires Redis, so every web process shares them.
"""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.test_settings import production_env, run_python

LOGIN = reverse("account_login")
TOO_MANY = "Too many failed login attempts"


WRONG = "not-the-password"


def attempt(client, email, password=WRONG):
    return client.post(LOGIN, {"login": email, "password": password})


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def clock():
    with time_machine.travel(timedelta(0), tick=False) as traveller:
        yield traveller


def test_the_sixth_failure_in_5_minutes_locks_the_account_even_with_the_right_password(
    client, patient, stranger, clock
):
    for _ in range(5):
        assert "not correct" in attempt(client, patient.email).content.decode()
        clock.shift(timedelta(seconds=50))  # slower than the per-address limit

    refused = attempt(client, patient.email, PASSWORD)

    # allauth refuses a locked account on the sign-in form itself, not with its 429 page.
    assert refused.status_code == 200
    assert TOO_MANY in refused.content.decode()
    assert not signed_in(client)
    # Another account from the same address is not locked out by this one.
    assert attempt(Client(), stranger.email, PASSWORD).url == reverse("journeys:home")


def test_the_account_lock_lifts_after_5_minutes(client, patient, clock):
    for _ in range(5):
        attempt(client, patient.email)

    clock.shift(timedelta(minutes=5, seconds=1))

    assert attempt(client, patient.email, PASSWORD).url == reverse("journeys:home")


def test_one_address_trying_many_accounts_is_limited_to_10_failures_a_minute(
    client, patient, settings
):
    # Guessed addresses cost Django one hash of the default hasher each; a cheap one
    # keeps this test fast. The patient's own argon2 hash still verifies.
    fast = "django.contrib.auth.hashers.MD5PasswordHasher"
    settings.PASSWORD_HASHERS = [fast, *settings.PASSWORD_HASHERS]
    for n in range(10):
        attempt(client, f"guess{n % 5}@test.example")

    assert TOO_MANY in attempt(client, patient.email, PASSWORD).content.decode()
    # The same account signs in fine from another address.
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    assert attempt(elsewhere, patient.email, PASSWORD).url == reverse("journeys:home")


def test_more_than_30_sign_in_posts_a_minute_from_one_address_get_the_429_page(client, db):
    for _ in range(30):
        assert client.post(LOGIN, {}).status_code == 200  # an empty form: no password checked

    response = client.post(LOGIN, {})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert Client(REMOTE_ADDR="203.0.113.7").post(LOGIN, {}).status_code == 200


def test_a_wrong_second_factor_counts_towards_the_limit_too(client, nurse):
    client.post(LOGIN, {"login": nurse.email, "password": PASSWORD})
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})

    assert TOO_MANY in response.content.decode()


def test_the_admin_login_cannot_be_used_to_get_around_the_limit(client, nurse):
    for _ in range(5):
        attempt(client, nurse.email)

    response = client.post(reverse("admin:login"), {"username": nurse.email, "password": PASSWORD})

    assert response.url.startswith(LOGIN)
    assert not signed_in(client)


def test_the_rate_limits_are_allauths_defaults(settings):
    # No override that would loosen them; DummyCache would switch them off entirely.
    assert not hasattr(settings, "ACCOUNT_RATE_LIMITS")
    assert "DummyCache" not in settings.CACHES["default"]["BACKEND"]


def test_production_refuses_to_start_without_a_shared_cache():
    env = production_env()
    del env["REDIS_URL"]

    result = run_python("import django; django.setup()", **env)

    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
