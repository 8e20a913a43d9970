"""Headers on pages that show patient data. `check --deploy` looks at HSTS and cookies
but not at CSP or caching, so these are checked here on real responses."""

import json
import re

import pytest
from django.http import HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.template import RequestContext, Template
from django.urls import reverse

from tests.test_settings import production_env, run_python

# The page fixtures are picked by name at run time, so pytest-django cannot see that
# these tests use the database unless told (it would order them after the live-server
# tests, whose flush empties the tables).
pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_pages(client, patient, journey):
    client.force_login(patient)
    return client, ["/", reverse("journeys:journey", args=[journey.pk])]


@pytest.fixture
def staff_pages(client, nurse, journey):
    client.force_login(nurse)
    return client, [
        reverse("journeys:staff-worklist"),
        reverse("journeys:staff-journey", args=[journey.pk]),
    ]


def csp_directives(response):
    policy = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.parametrize("pages", ["patient_pages", "staff_pages"])
def test_pages_with_patient_data_are_never_stored(pages, request):
    client, urls = request.getfixturevalue(pages)
    for url in urls:
        response = client.get(url)

        assert response.status_code == 200, url
        cache_control = response.headers["Cache-Control"]
        assert "no-store" in cache_control, url
        assert "private" in cache_control, url


@pytest.mark.parametrize("pages", ["patient_pages", "staff_pages"])
def test_every_page_sends_a_strict_content_security_policy(pages, request):
    client, urls = request.getfixturevalue(pages)
    for url in [*urls, reverse("account_login")]:
        response = client.get(url)
        csp = csp_directives(response)

        assert csp["script-src"][0] == "'self'", url
        assert "'unsafe-inline'" not in csp["script-src"], url
        assert "'unsafe-eval'" not in csp["script-src"], url
        assert "'unsafe-inline'" not in csp["default-src"], url
        assert csp["object-src"] == ["'none'"], url
        assert csp["base-uri"] == ["'none'"], url
        assert csp["frame-ancestors"] == ["'none'"], url
        # An inline script runs only with this response's nonce.
        nonces = {v for v in csp["script-src"] if v.startswith("'nonce-")}
        for script in re.findall(r"<script\b[^>]*>", response.content.decode()):
            assert "src=" in script or f"'nonce-{nonce_of(script)}'" in nonces, script


def nonce_of(tag):
    found = re.search(r'nonce="([^"]+)"', tag)
    return found.group(1) if found else None


def page_with_inline_script(request):
    template = Template('<script nonce="{{ csp_nonce }}">start()</script>')
    return HttpResponse(template.render(RequestContext(request)))


def test_a_page_with_an_inline_script_gets_a_fresh_nonce_in_the_header(rf):
    # Django adds 'nonce-…' only to responses whose page used {{ csp_nonce }}; ours have
    # no inline scripts yet, so their policy is 'self' alone, which is stricter.
    middleware = ContentSecurityPolicyMiddleware(page_with_inline_script)

    first, second = (middleware(rf.get("/")) for _ in range(2))

    script_src = csp_directives(first)["script-src"]
    nonce = nonce_of(first.content.decode())
    assert script_src == ["'self'", f"'nonce-{nonce}'"]
    assert csp_directives(second)["script-src"] != script_src


def test_pages_cannot_be_framed_or_sniffed(staff_pages):
    client, urls = staff_pages

    response = client.get(urls[0])

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


PRODUCTION_SETTINGS = """
import django, json
django.setup()
from django.conf import settings
names = [
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_DOMAIN", "SESSION_COOKIE_PATH", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_DOMAIN", "CSRF_COOKIE_PATH", "PASSWORD_HASHERS",
]
values = {name: getattr(settings, name) for name in names}
from django.test import Client
response = Client(HTTP_HOST="portal.example.org").get("/", secure=True)
values["hsts_header"] = response.headers.get("Strict-Transport-Security")
print(json.dumps(values))
"""


def test_production_sends_hsts_and_keeps_cookies_on_https_for_this_host_only():
    result = run_python(PRODUCTION_SETTINGS, **production_env())
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])

    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert "max-age=31536000; includeSubDomains" in values["hsts_header"]
    assert values["SECURE_SSL_REDIRECT"] is True
    for cookie in ("SESSION", "CSRF"):
        assert values[f"{cookie}_COOKIE_SECURE"] is True
        # The __Host- prefix: the browser accepts it only Secure, host-only and path=/.
        assert values[f"{cookie}_COOKIE_NAME"].startswith("__Host-")
        assert values[f"{cookie}_COOKIE_DOMAIN"] is None
        assert values[f"{cookie}_COOKIE_PATH"] == "/"
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")


def test_passwords_are_hashed_with_argon2(patient):
    assert patient.password.startswith("argon2$argon2id$")
