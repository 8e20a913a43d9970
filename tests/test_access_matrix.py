"""Every URL of the project, for every role, against someone else's data.

The patterns come from the resolver, so a view added tomorrow is covered without
touching this file; a pattern with an argument this file cannot fill fails the test
until a filler is added. For each role that must not see the victim's record, every
GET and POST must end in a redirect, 403, 404 or 405, or in a page that shows none of
the victim's data.
"""

import re
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

from journeys.enrolment import checklist_item_add, journey_enroll
from journeys.models import Journey, Role, Step
from journeys.people import person_create
from tests.conftest import PASSWORD, make_user, surgery_in

VICTIM_NAME = "Zebediah Outsider"
VICTIM_EMAIL = "zebediah@outsider.example"
VICTIM_ITEM = "Zebediah's private checklist item"
MARKERS = (VICTIM_NAME, VICTIM_EMAIL, VICTIM_ITEM)
REFUSALS = {302, 400, 403, 404, 405}


def walk(patterns, prefix="", namespace=""):
    """(route, name, converters) for every pattern, with nested includes flattened."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name or ''}"


@pytest.fixture
def victim(clinic, nurse, fusion):
    patient = person_create(
        email=VICTIM_EMAIL,
        full_name=VICTIM_NAME,
        role=Role.PATIENT,
        clinic=clinic,
        password=PASSWORD,
    )
    journey = journey_enroll(
        patient=patient, procedure=fusion, by=nurse, surgery_at=surgery_in(clinic, 20)
    )
    checklist_item_add(
        journey=journey,
        stage=journey.stages.get(step=Step.PREPARATION),
        text=VICTIM_ITEM,
        by=nurse,
    )
    return journey


def fillers(journey):
    """A value for every argument name a URL pattern may take, pointing at the victim."""
    stage = journey.stages.first()
    item = journey.checklist_items.first()
    by_model = {
        "journey": journey.pk,
        "user": journey.patient.pk,
        "clinic": journey.clinic.pk,
        "proceduretemplate": journey.procedure.pk,
        "procedurestep": journey.procedure.steps.first().pk,
        "preoptesttype": journey.required_tests.first().pk,
        "auditevent": journey.patient.audit_events.first().pk,
        "reminder": journey.reminders.first().pk,
        "stageevent": 1,
        "delivery": 1,
        "group": 1,
    }
    return {
        "journey_id": journey.pk,
        "stage_id": stage.pk,
        "item_id": item.pk,
        "grant_id": 1,
        "appointment_id": 1,
        "reminder_id": journey.reminders.first().pk,
        "token": uuid.uuid4().hex,
        "key": uuid.uuid4().hex,
        "uidb36": "1",
        "pk": 1,  # a security key (allauth's WebAuthn pages)
        "id": journey.patient.pk,  # the admin's change-password page for a user
        "url": f"journeys/journey/{journey.pk}/",  # the admin's catch-all
        "app_label": "journeys",
        "content_type_id": ContentType.objects.get_for_model(Journey).pk,
        "by_model": by_model,
    }


def concrete(route, name, values):
    """The route with every argument filled in, or None when one has no filler."""
    missing = []

    def fill(match):
        arg = match.group("name")
        if arg == "object_id":
            model = name.split("_")[1] if name.startswith("admin:journeys_") else "journey"
            return str(values["by_model"].get(model, values["journey_id"]))
        if arg in values:
            return str(values[arg])
        missing.append(arg)
        return "x"

    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", fill, route)  # path() converters
    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", fill, path)  # re_path() groups
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path, missing


ROLES = [
    "anonymous",
    "another_patient",
    "caregiver_without_grant",
    "other_clinic_nurse",
    "other_clinic_coordinator",
    "other_clinic_admin",
]


def persona(role, clinic, other_clinic, stranger, other_clinic_nurse):
    if role == "anonymous":
        return None
    if role == "another_patient":
        return stranger
    if role == "caregiver_without_grant":
        return make_user("carer@test.example", Role.CAREGIVER, clinic)
    if role == "other_clinic_nurse":
        return other_clinic_nurse
    if role == "other_clinic_coordinator":
        return make_user("coord@other.example", Role.COORDINATOR, other_clinic)
    admin = make_user("admin@other.example", Role.CLINIC_ADMIN, other_clinic)
    admin.is_staff = True
    admin.save()
    return admin


@pytest.mark.parametrize("role", ROLES)
def test_no_url_shows_another_patients_record(
    client, role, victim, clinic, other_clinic, stranger, other_clinic_nurse
):
    user = persona(role, clinic, other_clinic, stranger, other_clinic_nurse)
    values = fillers(victim)
    leaks, unfilled, checked = [], [], 0

    for route, name in walk(get_resolver().url_patterns):
        path, missing = concrete(route, name, values)
        if missing:
            unfilled.append(f"{name or route}: no filler for {', '.join(missing)}")
            continue
        for method in ("get", "post"):
            if user is not None:
                client.force_login(user)  # a logout URL earlier in the walk ends the session
            response = getattr(client, method)(path)
            checked += 1
            body = response.content.decode(errors="replace")
            shown = [m for m in MARKERS if m in body]
            if shown or response.status_code not in REFUSALS | {200}:
                leaks.append(f"{method.upper()} {path} ({name}) -> {response.status_code} {shown}")

    assert not unfilled, "URL patterns this test cannot fill:\n" + "\n".join(unfilled)
    assert not leaks, f"{role} saw another patient's data:\n" + "\n".join(leaks)
    assert checked > 100
