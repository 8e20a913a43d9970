"""Reconciling stored reminders with the plan: on every change of a fact, and nightly."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from journeys.defaults import install_clinic_defaults
from journeys.enrolment import journey_enroll, journey_set_surgery
from journeys.medications import journey_medication_add
from journeys.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Clinic,
    FastingAnchor,
    FastingKind,
    FastingRule,
    Journey,
    Location,
    Medication,
    ProcedureTemplate,
    Reminder,
    ReminderStatus,
    Role,
)
from journeys.reconcile import journey_facts, reminder_preferences_set, reminders_reconcile
from journeys.tasks import reconcile_all_reminders
from tests.conftest import make_user

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def aspirin(clinic):
    return Medication.objects.get(clinic=clinic, name="Aspirin", use="no heart or stroke history")


def rows(journey):
    return {r.key: r for r in Reminder.objects.filter(journey=journey)}


def snapshot(journey):
    return sorted(
        Reminder.objects.filter(journey=journey).values_list("key", "due_at", "status", "body")
    )


def mark_sent(journey, key, at=None):
    Reminder.objects.filter(journey=journey, key=key).update(
        status=ReminderStatus.SENT, sent_at=at or timezone.now(), attempts=1
    )


def test_enrolment_plans_fasting_and_arrival_reminders_once(journey):
    stored = rows(journey)

    assert {"journey:welcome", "surgery:arrival", "fasting:solids", "fasting:clear-liquids"} <= (
        set(stored)
    )
    assert all(r.status == ReminderStatus.PENDING for r in stored.values())
    assert reminders_reconcile(journey=journey) == (0, 0, 0)


def test_moving_surgery_reschedules_unsent_reminders_and_keeps_sent_ones(journey, nurse):
    item = journey_medication_add(journey=journey, by=nurse, medication=aspirin(journey.clinic))
    before = rows(journey)
    mark_sent(journey, f"med:{item.pk}:heads-up")
    mark_sent(journey, "journey:welcome")

    journey_set_surgery(
        journey=journey, surgery_at=journey.surgery_at + timedelta(days=7), by=nurse
    )

    after = rows(journey)
    heads_up = after[f"med:{item.pk}:heads-up"]
    assert heads_up.status == ReminderStatus.SENT  # history: not moved, not re-sent
    assert heads_up.due_at == before[heads_up.key].due_at
    for key in (f"med:{item.pk}:stop", "fasting:solids", "surgery:arrival"):
        assert after[key].status == ReminderStatus.PENDING
        assert after[key].due_at == before[key].due_at + timedelta(days=7)
        assert after[key].pk == before[key].pk  # the same row, moved
    assert after["journey:welcome"].status == ReminderStatus.SENT


def test_a_surgery_moved_into_the_past_is_refused_and_no_reminder_changes(journey, nurse):
    planned_surgery, before = journey.surgery_at, snapshot(journey)

    with pytest.raises(ValidationError, match="must be in the future"):
        journey_set_surgery(
            journey=journey, surgery_at=timezone.now() - timedelta(days=1), by=nurse
        )

    assert snapshot(journey) == before
    assert Journey.objects.get(pk=journey.pk).surgery_at == planned_surgery


def book_therapy(journey, days_ahead, at=time(10, 0)):
    day = timezone.now().astimezone(LA).date() + timedelta(days=days_ahead)
    return Appointment.objects.create(
        journey=journey,
        kind=AppointmentKind.THERAPY,
        starts_at=datetime.combine(day, at, tzinfo=LA),
        location=Location.objects.get(clinic=journey.clinic, name="Main hospital"),
    )


def test_a_cancelled_therapy_session_cancels_its_pending_reminders(journey):
    session = book_therapy(journey, 3)
    reminders_reconcile(journey=journey)
    mark_sent(journey, f"therapy:{session.pk}:first")

    session.status = AppointmentStatus.CANCELLED
    session.save(update_fields=["status"])
    reminders_reconcile(journey=journey)

    stored = rows(journey)
    assert stored[f"therapy:{session.pk}:first"].status == ReminderStatus.SENT
    assert stored[f"therapy:{session.pk}:second"].status == ReminderStatus.CANCELLED


def test_changing_the_channel_re_routes_unsent_reminders(journey, patient):
    patient.phone = "+15551234567"
    patient.save(update_fields=["phone"])
    mark_sent(journey, "journey:welcome")

    reminder_preferences_set(patient=patient, channel="sms", by=patient)

    stored = rows(journey)
    assert stored["journey:welcome"].channel == "email"  # sent as it was
    pending = [r for r in stored.values() if r.status == ReminderStatus.PENDING]
    assert pending and all(r.channel == "sms" for r in pending)


def test_text_messages_need_a_phone_number_and_nothing_changes_without_one(journey, patient):
    before = snapshot(journey)

    with pytest.raises(ValidationError, match="need a phone number"):
        reminder_preferences_set(patient=patient, channel="sms", by=patient)

    patient.refresh_from_db()
    assert patient.reminder_channel == "email"
    assert snapshot(journey) == before


def test_quiet_hours_hold_back_non_urgent_reminders_until_they_end(journey, patient):
    reminder_preferences_set(
        patient=patient,
        channel="email",
        quiet_start=time(8, 0),
        quiet_end=time(10, 0),
        by=patient,
    )

    stored = rows(journey).values()
    checklist = [r for r in stored if r.key.startswith("checklist:") and r.due_at > timezone.now()]
    assert checklist
    assert all(r.due_at.astimezone(LA).time() == time(10, 0) for r in checklist)  # was 09:00
    solids = next(r for r in stored if r.key == "fasting:solids")
    assert solids.due_at.astimezone(LA).time() == time(18, 0)  # urgent: unmoved


def test_journey_facts_reads_a_fixed_number_of_queries(journey, nurse):
    def count():
        loaded = Journey.objects.select_related("clinic", "patient", "surgery_location").get(
            pk=journey.pk
        )
        with CaptureQueriesContext(connection) as queries:
            journey_facts(loaded)
        return len(queries)

    few = count()
    for medication in Medication.objects.filter(clinic=journey.clinic, hold_policy="auto")[:10]:
        journey_medication_add(journey=journey, by=nurse, medication=medication)
    journey_medication_add(journey=journey, by=nurse, free_text="Something unknown")
    for days in range(2, 8):
        book_therapy(journey, days)

    # Checklist items, appointments, finished stages, medicines, fasting rules.
    assert count() == few == 5


def test_reminders_are_written_in_the_patients_language(clinic, nurse, fusion):
    patient = make_user("paciente@test.example", Role.PATIENT, clinic, "Paula Paciente")
    patient.language = "es"
    patient.save(update_fields=["language"])
    surgery = datetime.combine(
        timezone.now().astimezone(LA).date() + timedelta(days=30), time(7, 30), tzinfo=LA
    )
    spanish_day = {0: "lunes", 1: "martes", 2: "miércoles", 3: "jueves", 4: "viernes"}
    spanish_day |= {5: "sábado", 6: "domingo"}

    journey = journey_enroll(patient=patient, procedure=fusion, by=nurse, surgery_at=surgery)

    arrival = rows(journey)["surgery:arrival"]
    assert spanish_day[surgery.weekday()] in arrival.body


def enrol_at(moment, clinic, nurse, surgery_at, email="dst@test.example"):
    with time_machine.travel(moment, tick=False):
        patient = make_user(email, Role.PATIENT, clinic, "Dee Ess-Tee")
        procedure = ProcedureTemplate.objects.get(clinic=clinic, name="Lumbar fusion (open)")
        journey = journey_enroll(
            patient=patient, procedure=procedure, by=nurse, surgery_at=surgery_at
        )
        item = journey_medication_add(journey=journey, by=nurse, medication=aspirin(clinic))
    return journey, item


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_spring_forward_monday_reminders_are_stored_in_utc(clinic, nurse):
    # Clocks went forward at 02:00 on Sunday 14 March 2027.
    surgery = datetime(2027, 3, 15, 7, 30, tzinfo=LA)
    journey, item = enrol_at(utc(2027, 1, 11, 18), clinic, nurse, surgery)

    stored = rows(journey)

    assert stored[f"med:{item.pk}:heads-up"].due_at == utc(2027, 3, 5, 17)  # Fri 09:00 PST
    assert stored[f"med:{item.pk}:stop"].due_at == utc(2027, 3, 8, 15)  # Mon 07:00 PST
    assert stored["surgery:arrival"].due_at == utc(2027, 3, 15, 0)  # Sun 17:00 PDT
    assert stored["fasting:solids"].due_at == utc(2027, 3, 15, 1)  # Sun 18:00 PDT
    assert "after 21:30 on Sunday 14 March" in stored["fasting:solids"].body
    assert all(r.due_at.utcoffset() == timedelta(0) for r in stored.values())


def test_fall_back_monday_reminders_are_stored_in_utc(clinic, nurse):
    # Clocks went back at 02:00 on Sunday 1 November 2026.
    surgery = datetime(2026, 11, 2, 7, 30, tzinfo=LA)
    journey, item = enrol_at(utc(2026, 9, 1, 18), clinic, nurse, surgery)

    stored = rows(journey)

    assert stored[f"med:{item.pk}:heads-up"].due_at == utc(2026, 10, 23, 16)  # Fri 09:00 PDT
    assert stored[f"med:{item.pk}:stop"].due_at == utc(2026, 10, 26, 14)  # Mon 07:00 PDT
    assert stored["surgery:arrival"].due_at == utc(2026, 11, 2, 1)  # Sun 17:00 PST
    assert stored["fasting:solids"].due_at == utc(2026, 11, 2, 2)  # Sun 18:00 PST
    assert "after 21:30 on Sunday 1 November" in stored["fasting:solids"].body


def test_a_patient_far_from_the_clinic_gets_the_clinics_wall_clock_times(nurse):
    new_york = Clinic.objects.create(
        name="Hudson Spine", time_zone="America/New_York", phone="(555) 010-2000"
    )
    install_clinic_defaults(new_york)
    coordinator = make_user("coord@hudson.example", Role.COORDINATOR, new_york)
    patient = make_user("traveller@hudson.example", Role.PATIENT, new_york, "Tra Veller")
    procedure = ProcedureTemplate.objects.get(clinic=new_york, name="Lumbar microdiscectomy")
    day = timezone.now().astimezone(new_york.zone).date() + timedelta(days=20)
    surgery = datetime.combine(day, time(7, 30), tzinfo=new_york.zone)

    # Whatever zone is active (a patient on holiday in Auckland, a server in LA),
    # the clinic's own wall clock decides.
    with timezone.override(ZoneInfo("Pacific/Auckland")):
        journey = journey_enroll(
            patient=patient, procedure=procedure, by=coordinator, surgery_at=surgery
        )

    solids = rows(journey)["fasting:solids"]
    local = solids.due_at.astimezone(new_york.zone)
    assert (local.date(), local.time()) == (day - timedelta(days=1), time(18, 0))
    assert "after 21:30" in solids.body  # 8 hours before the 05:30 arrival, New York time


def test_a_reminder_whose_time_long_passed_is_cancelled_not_sent_late(journey):
    tomorrow = timezone.now() + timedelta(days=1)
    overdue = min(
        (r for r in rows(journey).values() if r.key.startswith("checklist:")),
        key=lambda r: r.due_at if r.due_at > tomorrow else r.due_at + timedelta(days=999),
    )
    assert overdue.due_at > tomorrow

    with time_machine.travel(overdue.due_at + timedelta(hours=7), tick=False):
        reminders_reconcile(journey=journey)

    overdue.refresh_from_db()
    assert overdue.status == ReminderStatus.CANCELLED


def test_the_clinic_can_replace_its_fasting_rules_with_nothing_after_midnight(journey):
    FastingRule.objects.filter(clinic=journey.clinic).update(is_active=False)
    midnight = FastingRule.objects.create(
        clinic=journey.clinic,
        kind=FastingKind.CUSTOM,
        anchor=FastingAnchor.MIDNIGHT,
        hours_before=0,
        instruction="Nothing to eat or drink",
    )

    reminders_reconcile(journey=journey)

    stored = rows(journey)
    assert stored["fasting:solids"].status == ReminderStatus.CANCELLED
    assert stored["fasting:clear-liquids"].status == ReminderStatus.CANCELLED
    rule = stored[f"fasting:custom:{midnight.pk}"]
    assert rule.status == ReminderStatus.PENDING
    assert "Nothing to eat or drink after 00:00" in rule.body


def test_the_nightly_run_restores_a_lost_reminder_and_leaves_the_rest(journey):
    Reminder.objects.filter(journey=journey, key="fasting:solids").delete()
    before = {k: (r.pk, r.due_at) for k, r in rows(journey).items()}

    assert reconcile_all_reminders() >= 1

    after = rows(journey)
    assert after["fasting:solids"].status == ReminderStatus.PENDING
    assert {k: (r.pk, r.due_at) for k, r in after.items() if k in before} == before
