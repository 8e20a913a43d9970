from datetime import datetime, time
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from journeys.agenda import clinic_calendar
from journeys.demo import DEMO_PASSWORD
from journeys.models import (
    SURGERY_DAY_STEPS,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AuditEvent,
    ChecklistItem,
    Journey,
    Reminder,
    Stage,
    StageEvent,
    StageStatus,
    Step,
    User,
)
from journeys.scheduling import follow_up_schedule, therapy_series_cancel

CLINIC_ZONE = ZoneInfo("America/Los_Angeles")  # the demo clinic's
AFTERNOON = datetime(2026, 3, 4, 14, 0, tzinfo=CLINIC_ZONE)  # a Wednesday


# The seed creates fifteen accounts; Argon2 would spend most of each test on them.
FAST_PASSWORDS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORDS


def seed_at(moment):
    with time_machine.travel(moment, tick=False):
        call_command("seed_demo", stdout=StringIO())
    return moment


def current_step(journey):
    return next(
        (s.step for s in journey.stages.all() if s.status not in ("done", "skipped")), "finished"
    )


def journey_of(email):
    return Journey.objects.select_related("clinic", "procedure").get(patient__email=email)


def snapshot():
    return (
        User.objects.count(),
        Journey.objects.count(),
        Reminder.objects.count(),
        Appointment.objects.count(),
        StageEvent.objects.count(),
        ChecklistItem.objects.filter(done_at__isnull=False).count(),
        AuditEvent.objects.count(),
    )


def latest_recorded_time():
    """The latest moment the demo history says something happened."""
    stamps = [
        *Stage.objects.values_list("started_at", flat=True),
        *Stage.objects.values_list("completed_at", flat=True),
        *StageEvent.objects.values_list("at", flat=True),
        *ChecklistItem.objects.values_list("done_at", flat=True),
        *Journey.objects.values_list("enrolled_at", flat=True),
        *Appointment.objects.values_list("resulted_at", flat=True),
        *Appointment.objects.filter(status=AppointmentStatus.COMPLETED).values_list(
            "starts_at", flat=True
        ),
    ]
    return max(s for s in stamps if s is not None)


def test_seed_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")

    assert not User.objects.exists()


def test_seed_creates_a_believable_clinic_and_running_it_twice_changes_nothing(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = snapshot()

    call_command("seed_demo")

    assert snapshot() == counts
    assert Journey.objects.count() >= 12
    demo = User.objects.get(email="patient@example.com")
    assert demo.check_password("spinecare-demo")
    for email in ("patient2@example.com", "nurse@example.com", "coordinator@example.com"):
        assert User.objects.filter(email=email).exists()
    journeys = Journey.objects.prefetch_related("stages")
    current_steps = {current_step(j) for j in journeys}
    assert {"consultation", "preop_testing", "preparation", "rehabilitation"} <= current_steps
    assert any(s.status == StageStatus.BLOCKED for j in journeys for s in j.stages.all())
    # As the README describes them.
    assert current_step(journey_of("patient@example.com")) == Step.PREPARATION
    assert current_step(journey_of("patient2@example.com")) == Step.PREOP_TESTING


@override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_PASSWORDS)
class TestTheDemoSeededOneAfternoon(TestCase):
    """Seeded once at AFTERNOON; each test reads it (and is rolled back)."""

    @classmethod
    def setUpTestData(cls):
        seed_at(AFTERNOON)

    def test_every_journey_starts_with_a_past_consultation_at_a_clinic_location(self):
        now = AFTERNOON

        for journey in Journey.objects.select_related("clinic"):
            consultations = journey.appointments.filter(kind=AppointmentKind.CONSULTATION)
            assert consultations.count() == 1, journey
            visit = consultations.get()
            assert visit.status == AppointmentStatus.COMPLETED
            assert visit.ends_at <= now
            assert visit.location.clinic_id == journey.clinic_id
            assert visit.starts_at <= journey.enrolled_at

    def test_a_rehabilitation_patient_has_the_procedures_therapy_plan(self):
        now = AFTERNOON
        in_rehab = [j for j in Journey.objects.all() if current_step(j) == Step.REHABILITATION]
        assert in_rehab

        for journey in in_rehab:
            plan = journey.procedure
            sessions = list(journey.appointments.filter(kind=AppointmentKind.THERAPY))
            assert len(sessions) == plan.therapy_sessions_per_week * plan.therapy_weeks
            surgery_day = journey.surgery_at.astimezone(CLINIC_ZONE).date()
            first_day = sessions[0].starts_at.astimezone(CLINIC_ZONE).date()
            assert (first_day - surgery_day).days // 7 == plan.therapy_starts_week
            for session in sessions:
                local = session.starts_at.astimezone(CLINIC_ZONE)
                assert local.time() in (time(10, 0), time(15, 0))
                assert local.weekday() < 5
                assert session.location.clinic_id == journey.clinic_id
                expected = (
                    AppointmentStatus.COMPLETED
                    if session.ends_at <= now
                    else AppointmentStatus.SCHEDULED
                )
                assert session.status == expected
            assert {s.status for s in sessions} == {
                AppointmentStatus.COMPLETED,
                AppointmentStatus.SCHEDULED,
            }
        others = Appointment.objects.filter(kind=AppointmentKind.THERAPY).exclude(
            journey__in=in_rehab
        )
        assert not others.exists()

    def test_patients_past_surgery_have_follow_ups_at_two_and_six_weeks(self):
        now = AFTERNOON
        operated = [
            j
            for j in Journey.objects.exclude(surgery_at=None)
            if j.surgery_at.astimezone(CLINIC_ZONE).date() < now.date()
        ]
        assert len(operated) >= 3

        for journey in operated:
            surgery_day = journey.surgery_at.astimezone(CLINIC_ZONE).date()
            visits = journey.appointments.filter(kind=AppointmentKind.FOLLOW_UP)
            days_after = [
                (v.starts_at.astimezone(CLINIC_ZONE).date() - surgery_day).days for v in visits
            ]
            assert len(days_after) == 2
            assert 14 <= days_after[0] <= 16
            assert 42 <= days_after[1] <= 44
            for visit in visits:
                done = visit.ends_at <= now
                assert visit.status == (
                    AppointmentStatus.COMPLETED if done else AppointmentStatus.SCHEDULED
                )
        assert {a.status for a in Appointment.objects.filter(kind=AppointmentKind.FOLLOW_UP)} == {
            AppointmentStatus.COMPLETED,
            AppointmentStatus.SCHEDULED,
        }

    def test_the_surgery_day_patient_is_in_theatre_with_live_times(self):
        journey = journey_of("daniel.kim@example.com")
        stages = {s.step: s for s in journey.stages.all()}

        def local(moment):
            return moment.astimezone(CLINIC_ZONE).strftime("%Y-%m-%d %H:%M")

        assert local(journey.surgery_at) == "2026-03-04 07:30"
        anesthesia, incision = stages[Step.ANESTHESIA], stages[Step.INCISION]
        assert (local(anesthesia.started_at), local(anesthesia.completed_at)) == (
            "2026-03-04 07:45",
            "2026-03-04 08:10",
        )
        assert local(incision.completed_at) == "2026-03-04 08:40"
        current = stages[Step.BONE_REMOVAL]
        assert current.status == StageStatus.ACTIVE
        assert local(current.started_at) == "2026-03-04 08:40"
        # The history has the times staff would have entered, not the moment of seeding.
        events = StageEvent.objects.filter(stage=anesthesia).order_by("at")
        assert [local(e.at) for e in events] == ["2026-03-04 07:45", "2026-03-04 08:10"]
        assert stages[Step.PREPARATION].completed_at < anesthesia.started_at

    def test_nothing_in_the_history_is_in_the_future(self):
        assert latest_recorded_time() <= AFTERNOON
        for appointment in Appointment.objects.filter(status=AppointmentStatus.SCHEDULED):
            assert appointment.ends_at > AFTERNOON or appointment.kind == AppointmentKind.SURGERY

    def test_every_surgery_date_has_its_appointment_which_the_calendar_and_bookings_see(self):
        dated = Journey.objects.exclude(surgery_at=None)
        assert dated.count() >= 10
        for journey in dated:
            surgeries = journey.appointments.filter(kind=AppointmentKind.SURGERY)
            assert [s.starts_at for s in surgeries] == [journey.surgery_at], journey
        journey = journey_of("patient@example.com")
        surgery = journey.appointments.get(kind=AppointmentKind.SURGERY)
        coordinator = User.objects.get(email="coordinator@example.com")

        with time_machine.travel(AFTERNOON, tick=False):
            day = clinic_calendar(coordinator, surgery.starts_at.astimezone(CLINIC_ZONE).date(), 1)
            with pytest.raises(ValidationError, match="Overlaps Surgery"):
                follow_up_schedule(
                    journey=journey,
                    starts_at=surgery.starts_at,
                    ends_at=surgery.ends_at,
                    by=coordinator,
                )

        entries = [e for place in day[0].places for e in place.entries]
        assert [
            (e.patient, e.appointment_id, e.ends_at) for e in entries if e.kind == "surgery"
        ] == [("Maria Lopez", surgery.pk, surgery.ends_at)]

    def test_a_rehabilitation_patients_therapy_is_one_series_cancelled_together(self):
        journey = next(j for j in Journey.objects.all() if current_step(j) == Step.REHABILITATION)
        sessions = journey.appointments.filter(kind=AppointmentKind.THERAPY)
        assert sessions.values("series").distinct().count() == 1
        assert sessions.first().series is not None

        with time_machine.travel(AFTERNOON, tick=False):
            cancelled = therapy_series_cancel(
                journey=journey,
                appointment=sessions.first(),
                by=User.objects.get(email="coordinator@example.com"),
            )

        assert cancelled == sessions.filter(starts_at__gt=AFTERNOON).count() > 0
        past = sessions.filter(starts_at__lte=AFTERNOON)
        assert {s.status for s in past} == {AppointmentStatus.COMPLETED}

    def test_the_patient_sees_the_note_shared_with_her_but_not_the_internal_one(self):
        maria = User.objects.get(email="patient@example.com")
        self.client.force_login(maria)

        page = self.client.get(reverse("journeys:home")).content.decode()

        assert "Notes from your care team" in page
        assert "All your pre-op test results are back and clear." in page
        assert "Lives alone" not in page
        # The care team does see it (the demo signs staff in without a second factor).
        self.client.force_login(User.objects.get(email="nurse@example.com"))
        url = reverse("journeys:staff-journey", args=[journey_of(maria.email).pk])
        with self.settings(SPINECARE_REQUIRE_STAFF_MFA=False):
            staff_page = self.client.get(url).content.decode()
        assert "Lives alone" in staff_page

    def test_the_caregiver_signs_in_and_watches_the_surgery_day_patients_live_panel(self):
        daniel = journey_of("daniel.kim@example.com")

        signed_in = self.client.post(
            reverse("account_login"),
            {"login": "family@example.com", "password": DEMO_PASSWORD},
            follow=True,
        )

        page = signed_in.content.decode()
        assert signed_in.status_code == 200
        assert "Daniel Kim" in page
        assert "<strong>Surgery in progress</strong>" in page
        live = reverse("journeys:surgery-live", args=[daniel.pk])
        assert f'hx-get="{live}"' in page
        assert self.client.get(live).status_code == 200

    def test_finished_steps_have_their_checklists_done(self):
        for item in ChecklistItem.objects.filter(stage__status=StageStatus.DONE):
            assert item.done_at is not None, item
            assert item.done_at <= item.stage.completed_at
        overdue = ChecklistItem.objects.filter(done_at=None, due_date__lt=AFTERNOON.date())
        assert [i.journey.patient.email for i in overdue] == ["ellen.fischer@example.com"]


@pytest.mark.parametrize(
    "moment",
    [
        # Before the 07:30 list starts, the night the clocks go forward at 02:00.
        datetime(2026, 3, 8, 3, 15, tzinfo=CLINIC_ZONE),
        datetime(2026, 3, 4, 0, 15, tzinfo=CLINIC_ZONE),  # just after midnight
    ],
    ids=["early-morning-dst", "after-midnight"],
)
def test_surgery_day_times_are_today_and_never_in_the_future(db, settings, moment):
    settings.DEBUG = True
    now = seed_at(moment)
    journey = journey_of("daniel.kim@example.com")
    surgery_day = [s for s in journey.stages.all() if s.step in SURGERY_DAY_STEPS]

    done = [s for s in surgery_day if s.status == StageStatus.DONE]
    for stage in done:
        assert stage.completed_at.astimezone(CLINIC_ZONE).date() == now.date()
        assert stage.started_at <= stage.completed_at <= now
    if moment.hour >= 2:
        assert done, "the patient should be in theatre by now"
        assert sum(s.status == StageStatus.ACTIVE for s in surgery_day) == 1
    assert latest_recorded_time() <= now
