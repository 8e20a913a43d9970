"""The shared cache while Redis is unreachable: sign-in keeps working, limits still hold."""

import logging

import pytest
from django.core.cache import caches
from django.urls import reverse

from journeys.cache import FallbackRedisCache
from tests.conftest import PASSWORD

# Nothing listens on port 1: every connection is refused at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_gone(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "journeys.cache.FallbackRedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    yield caches["default"]
    caches["default"].close()


def test_values_survive_in_memory_and_the_outage_is_logged_once(redis_gone, caplog):
    assert isinstance(redis_gone, FallbackRedisCache)
    with caplog.at_level(logging.WARNING, logger="journeys.cache"):
        assert redis_gone.add("code-used", 1, 30) is True
        assert redis_gone.add("code-used", 1, 30) is False  # a replayed code stays refused
        redis_gone.set("attempts", 3, 30)
        assert redis_gone.get("attempts") == 3
    assert caplog.text.count("Redis cache unreachable") == 1


def test_a_patient_signs_in_while_redis_is_down(redis_gone, client, patient):
    response = client.post(reverse("account_login"), {"login": patient.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(reverse("journeys:home")).wsgi_request.user == patient


def test_failed_sign_ins_are_still_limited_while_redis_is_down(redis_gone, client, patient):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": patient.email, "password": "wrong"})

    right = client.post(reverse("account_login"), {"login": patient.email, "password": PASSWORD})

    assert "Too many failed login attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session
