"""Personas and service guards shared by the tests.

Personas are built through the app's own functions (journey_enroll, the clinic
defaults), so setting up a test exercises real code.
"""

import importlib
import os
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.utils import timezone, translation

from journeys.defaults import install_clinic_defaults
from journeys.enrolment import checklist_item_add, journey_enroll
from journeys.models import (
    Appointment,
    AppointmentKind,
    Clinic,
    Location,
    PreopResult,
    ProcedureTemplate,
    Role,
    StageStatus,
)
from journeys.people import person_create
from journeys.transitions import stage_block, stage_complete, stage_start, stage_unblock

PASSWORD = "correct-horse-battery-staple"

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls
# from that thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def require_service(name, available, why=""):
    """Skip when a service is missing locally; under CI=true a missing service fails."""
    if available:
        return
    message = f"{name} is not available{': ' + why if why else ''}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: tests needing it must run)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def fresh_cache():
    """allauth keeps login rate limits and used TOTP codes in the cache; start each test
    with none, so one test's failed logins never lock out the next. Point REDIS_URL at
    a database of its own when running the tests: this empties it."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """A request leaves its language active in the test's thread (LocaleMiddleware and
    journeys.middleware.UserLanguageMiddleware activate, nothing deactivates); each test
    starts from the default language, as each request does."""
    yield
    translation.deactivate()


@pytest.fixture
def require_postgres(db):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL")


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    require_service("Redis", bool(url), "set REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service("Redis", False, str(exc))
    return url


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright's sync API (no browser downloads)."""
    require_service("Chromium", CHROMIUM.exists(), "install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page in a fresh browser context: its own cookies, so its own session."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def make_user(email, role, clinic, name=None, *, second_factor=None):
    """Someone who signs in with PASSWORD. The care team has enrolled a second factor,
    as journeys.security requires before any patient page; second_factor=False makes
    someone who has not yet."""
    user = person_create(
        email=email,
        full_name=name or email.split("@")[0].title(),
        role=role,
        clinic=clinic,
        password=PASSWORD,
    )
    if user.is_care_team if second_factor is None else second_factor:
        enrol_totp(user)
    return user


def enrol_totp(user):
    """What allauth's activation page stores: a TOTP secret and a set of recovery codes."""
    TOTP.activate(user, generate_totp_secret())
    RecoveryCodes.activate(user)
    return user


def make_care_team_user(email, role, clinic, name=None):
    """Kept for the tests that ask for it by name; make_user enrols the care team too."""
    return make_user(email, role, clinic, name, second_factor=True)


def totp_code(user):
    """The code the user's authenticator app shows now, from the secret allauth stored."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    counter = next(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counter))


def recovery_codes(user):
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return RecoveryCodes(authenticator).get_unused_codes()


@pytest.fixture
def totp_window():
    """Jump to the start of the next TOTP period, so a code computed now is still valid
    when the server checks it (the tolerance is zero). Forward, never back: rows made
    before the jump must not look newer than the test's own changes."""
    period = settings.MFA_TOTP_PERIOD
    start = (int(timezone.now().timestamp()) // period + 1) * period
    with time_machine.travel(start, tick=True):
        yield


ROLE_GROUPS_MIGRATION = importlib.import_module("journeys.migrations.0003_role_groups")


@pytest.fixture
def role_groups(db):
    """The role groups a migration makes. A transactional test (live server, Celery
    worker) empties every table when it ends, these too; put them back for the next."""
    roles = ROLE_GROUPS_MIGRATION.ROLE_PERMISSIONS
    if Group.objects.filter(name__in=roles).count() == len(roles):
        return
    for role, codenames in roles.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="journeys", codename__in=codenames)
        )


@pytest.fixture
def clinic(role_groups):
    clinic = Clinic.objects.create(
        name="Test Spine Clinic", time_zone="America/Los_Angeles", phone="(555) 123-4567"
    )
    Location.objects.create(clinic=clinic, name="Main hospital")
    install_clinic_defaults(clinic)
    return clinic


@pytest.fixture
def other_clinic(role_groups):
    clinic = Clinic.objects.create(name="Other Clinic", phone="(555) 999-0000")
    install_clinic_defaults(clinic)
    return clinic


@pytest.fixture
def nurse(clinic):
    return make_user("nurse@test.example", Role.STAFF, clinic, "Nina Nurse")


@pytest.fixture
def coordinator(clinic):
    return make_user("coordinator@test.example", Role.COORDINATOR, clinic, "Cora Coordinator")


@pytest.fixture
def patient(clinic):
    return make_user("patient@test.example", Role.PATIENT, clinic, "Pat Patient")


@pytest.fixture
def stranger(clinic):
    """Another patient of the same clinic."""
    return make_user("stranger@test.example", Role.PATIENT, clinic, "Stan Stranger")


@pytest.fixture
def other_clinic_nurse(other_clinic):
    return make_user("nurse@other.example", Role.STAFF, other_clinic, "Olga Other")


def clear_required_tests(journey, days_before_surgery=5):
    """Every required pre-op test done and cleared `days_before_surgery` before surgery."""
    for test in journey.required_tests.all():
        Appointment.objects.create(
            journey=journey,
            kind=AppointmentKind.PREOP_TEST,
            test_type=test,
            starts_at=journey.surgery_at - timedelta(days=days_before_surgery),
            result=PreopResult.CLEARED,
        )


def finish_every_step(journey, by):
    clear_required_tests(journey)
    for stage in journey.stages.order_by("position"):
        stage.refresh_from_db()
        if stage.status == StageStatus.PENDING:
            stage_start(stage=stage, by=by)
        stage_complete(stage=stage, by=by)


def grow(journey, by, *, patients=20, items=30):
    """Many more patients in the clinic, and a journey with many more items and history.

    Page tests load a page before and after, and assert the query count did not move.
    """
    for n in range(patients):
        other = make_user(f"crowd{n}@test.example", Role.PATIENT, journey.clinic)
        journey_enroll(
            patient=other,
            procedure=journey.procedure,
            by=by,
            surgery_at=surgery_in(journey.clinic, 10 + n),
        )
    preparation = journey.stages.get(step="preparation")
    for n in range(items):
        checklist_item_add(journey=journey, stage=preparation, text=f"Extra item {n}", by=by)
    for step in ("consultation", "preop_testing"):
        stage_complete(stage=journey.stages.get(step=step), by=by)
    for n in range(5):
        stage_block(stage=journey.stages.get(step="preparation"), by=by, reason=f"Wait {n}")
        stage_unblock(stage=journey.stages.get(step="preparation"), by=by)


def surgery_in(clinic, days, at=time(7, 30)):
    day = timezone.now().astimezone(clinic.zone).date() + timedelta(days=days)
    return datetime.combine(day, at, tzinfo=clinic.zone)


@pytest.fixture
def fusion(clinic):
    return ProcedureTemplate.objects.get(clinic=clinic, name="Lumbar fusion (open)")


@pytest.fixture
def microdiscectomy(clinic):
    return ProcedureTemplate.objects.get(clinic=clinic, name="Lumbar microdiscectomy")


@pytest.fixture
def journey(patient, fusion, nurse):
    return journey_enroll(
        patient=patient, procedure=fusion, by=nurse, surgery_at=surgery_in(fusion.clinic, 21)
    )


@pytest.fixture
def stranger_journey(stranger, fusion, nurse):
    return journey_enroll(
        patient=stranger, procedure=fusion, by=nurse, surgery_at=surgery_in(fusion.clinic, 30)
    )


@pytest.fixture
def other_clinic_journey(other_clinic, other_clinic_nurse):
    other_patient = make_user("patient@other.example", Role.PATIENT, other_clinic, "Otto Elsewhere")
    procedure = ProcedureTemplate.objects.get(clinic=other_clinic, name="Lumbar fusion (open)")
    return journey_enroll(
        patient=other_patient,
        procedure=procedure,
        by=other_clinic_nurse,
        surgery_at=surgery_in(other_clinic, 14),
    )
