"""A believable demo clinic (`manage.py seed_demo`): `seed()` creates it once.

Every patient gets a history that could have happened: a consultation weeks ago, pre-op
tests before surgery, each step finished at the time it did (through stage_transition's
`at=`), ticked checklists, follow-up visits and physical therapy after surgery. A few
notes from the care team, and a caregiver following the patient on surgery day.

people.py says who and where; clock.py when (nothing is in the future); care.py what
happened.
"""

from django.db import transaction
from django.utils import timezone

from journeys import transitions
from journeys.defaults import install_clinic_defaults
from journeys.demo.care import (
    advance,
    book,
    enrol,
    follow_ups,
    notes_write,
    preop_tests,
    surgery_appointment,
    tests_state,
    therapy_sessions,
    tick_checklist,
)
from journeys.demo.clock import Demo, consultation_time, stage_times, surgery_time
from journeys.demo.people import (
    ACCOUNTS,
    CLINIC_NAME,
    DEMO_PASSWORD,
    EXTRA_TESTS,
    NAMES,
    PATIENTS,
    clinic_create,
    follow,
    make_locations,
    make_user,
)
from journeys.models import AppointmentKind, Clinic, ProcedureTemplate, Role, StageStatus
from journeys.reconcile import reminders_reconcile

__all__ = ["ACCOUNTS", "DEMO_PASSWORD", "is_seeded", "seed"]


def is_seeded():
    return Clinic.objects.filter(name=CLINIC_NAME).exists()


@transaction.atomic
def seed():
    clinic = clinic_create()
    install_clinic_defaults(clinic)
    people = {email: make_user(email, name, role, clinic) for email, name, role in ACCOUNTS}
    demo = Demo(
        clinic=clinic,
        now=timezone.now(),
        nurse=people["nurse@example.com"],
        coordinator=people["coordinator@example.com"],
        surgeon=people["surgeon@example.com"],
        **make_locations(clinic),
    )
    journeys = {}
    for email, procedure_name, days, done, then in PATIENTS:
        patient = people.get(email) or make_user(email, NAMES[email], Role.PATIENT, clinic)
        procedure = ProcedureTemplate.objects.get(clinic=clinic, name=procedure_name)
        journeys[email] = seed_patient(demo, patient, procedure, days=days, done=done, then=then)
    notes_write(demo, journeys)
    follow(journeys, people)


def seed_patient(demo, patient, procedure, *, days, done, then):
    steps = list(procedure.steps.values_list("step", flat=True))
    surgery_at = surgery_time(demo, days, steps, done)
    consulted_at = consultation_time(demo, surgery_at)
    journey = enrol(demo, patient, procedure, surgery_at, consulted_at)
    book(demo, journey, AppointmentKind.CONSULTATION, consulted_at, demo.office, minutes=45)
    results_at = preop_tests(
        demo, journey, state=tests_state(done, then), extra=EXTRA_TESTS.get(patient.email)
    )
    advance(demo, journey, stage_times(demo, journey, steps, results_at), done)
    if then.startswith("block: "):
        current = journey.stages.get(status=StageStatus.ACTIVE)
        transitions.stage_block(stage=current, by=demo.nurse, reason=then.removeprefix("block: "))
    surgery_appointment(demo, journey)
    follow_ups(demo, journey)
    therapy_sessions(demo, journey)
    tick_checklist(demo, journey)
    reminders_reconcile(journey=journey)
    return journey
