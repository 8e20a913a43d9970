"""Seed a believable demo clinic. Refuses to run unless DEBUG is on; idempotent.

Every patient gets a history that could have happened: a consultation weeks ago, pre-op
tests before surgery, each step finished at the time it did (through stage_transition's
`at=`), ticked checklists, follow-up visits and physical therapy after surgery. Times are
wall-clock times in the clinic's zone, and none is in the future: a patient on surgery
day seeded early in the morning has an earlier surgery, or fewer steps done.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from journeys import transitions
from journeys.defaults import install_clinic_defaults
from journeys.enrolment import checklist_item_set_done, journey_enroll, recompute_due_dates
from journeys.models import (
    SURGERY_DAY_STEPS,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ChecklistItem,
    Clinic,
    Journey,
    Location,
    Owner,
    PreopResult,
    PreopTestType,
    ProcedureTemplate,
    Role,
    StageStatus,
    Step,
    User,
)
from journeys.people import person_create
from journeys.reconcile import reminders_reconcile

DEMO_PASSWORD = "spinecare-demo"  # noqa: S105 -- documented demo password, DEBUG only
CLINIC_NAME = "Riverside Spine Center"

ACCOUNTS = [
    # email, name, role
    ("patient@example.com", "Maria Lopez", Role.PATIENT),
    ("patient2@example.com", "James Carter", Role.PATIENT),
    ("nurse@example.com", "Nora Quinn, RN", Role.STAFF),
    ("coordinator@example.com", "Chris Park", Role.COORDINATOR),
    ("surgeon@example.com", "Dr. Ana Reyes", Role.STAFF),
]

# email, procedure, surgery in days (None: not set; others than today move to a weekday),
# steps to complete, then what to do with the current step ("block: reason" or "").
PATIENTS = [
    ("patient@example.com", "Lumbar fusion (open)", 6, 2, ""),
    ("patient2@example.com", "Lumbar microdiscectomy", 20, 1, ""),
    ("daniel.kim@example.com", "Cervical fusion (ACDF)", 0, 5, ""),
    ("grace.obi@example.com", "Lumbar laminectomy", -30, 8, ""),
    (
        "henry.walsh@example.com",
        "Lumbar fusion (minimally invasive)",
        12,
        1,
        "block: Waiting for the HbA1c result",
    ),
    ("aisha.rahman@example.com", "Lumbar fusion (open)", None, 0, ""),
    ("tom.berg@example.com", "Lumbar microdiscectomy", 9, 2, ""),
    ("lucia.ferrari@example.com", "Cervical fusion (ACDF)", 25, 1, ""),
    ("sam.oneill@example.com", "Lumbar laminectomy", -3, 7, ""),
    ("priya.nair@example.com", "Lumbar fusion (minimally invasive)", 35, 1, ""),
    ("omar.haddad@example.com", "Lumbar fusion (open)", -70, 9, ""),
    ("ellen.fischer@example.com", "Lumbar microdiscectomy", 3, 2, ""),
]
NAMES = {
    "daniel.kim@example.com": "Daniel Kim",
    "grace.obi@example.com": "Grace Obi",
    "henry.walsh@example.com": "Henry Walsh",
    "aisha.rahman@example.com": "Aisha Rahman",
    "tom.berg@example.com": "Tom Berg",
    "lucia.ferrari@example.com": "Lucia Ferrari",
    "sam.oneill@example.com": "Sam O'Neill",
    "priya.nair@example.com": "Priya Nair",
    "omar.haddad@example.com": "Omar Haddad",
    "ellen.fischer@example.com": "Ellen Fischer",
}
# A checklist item the patient has not done yet, though it is due: shows as overdue.
STILL_OPEN = {"ellen.fischer@example.com": "Arrange a ride home"}
# A test ordered on top of the procedure's, whose result the blocked patient waits for.
EXTRA_TESTS = {"henry.walsh@example.com": "HbA1c"}

# Nights in hospital after surgery (CLINICAL.md 4.1).
LENGTH_OF_STAY = {
    "Lumbar fusion (open)": 3,
    "Lumbar fusion (minimally invasive)": 1,
    "Cervical fusion (ACDF)": 1,
    "Lumbar microdiscectomy": 0,
    "Lumbar laminectomy": 0,
}
CONSULTATION_BEFORE_SURGERY = timedelta(days=35)
TESTS_BEFORE_SURGERY = timedelta(days=10)
SURGERY_START = time(7, 30)
ANESTHESIA_AFTER_START = timedelta(minutes=15)
CHECK_IN_BEFORE_START = timedelta(hours=1)  # preparation is signed off at check-in
# How long each surgery-day step takes; recovery starts when the last one ends.
SURGERY_DAY_MINUTES = {
    Step.ANESTHESIA: 25,
    Step.INCISION: 30,
    Step.BONE_REMOVAL: 70,
    Step.FUSION: 50,
    Step.CLOSURE: 35,
}
FOLLOW_UP_WEEKS = (2, 6)  # after surgery (CLINICAL.md 4.3)
# Weekdays (Monday is 0) for n therapy sessions a week; alternately at 10:00 and 15:00.
THERAPY_DAYS = {0: (), 1: (2,), 2: (1, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4)}
THERAPY_TIMES = (time(10, 0), time(15, 0))
# The newest event in the demo history happened at least this long before seeding.
GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Demo:
    """The clinic, its people and places, and the moment the demo is seeded."""

    clinic: Clinic
    now: datetime
    nurse: User
    coordinator: User
    surgeon: User
    hospital: Location
    office: Location
    lab: Location
    therapy: Location

    @property
    def zone(self):
        return self.clinic.zone

    @property
    def today(self):
        return self.now.astimezone(self.zone).date()

    @property
    def latest(self):
        """The latest time a demo event may carry."""
        return self.now - GRACE

    def at(self, day, clock):
        return datetime.combine(day, clock, tzinfo=self.zone)

    def day_of(self, moment):
        return moment.astimezone(self.zone).date()


class Command(BaseCommand):
    help = "Create the demo clinic, its accounts and a dozen patients (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        if Clinic.objects.filter(name=CLINIC_NAME).exists():
            self.stdout.write("Demo data already present; nothing changed.")
        else:
            seed()
            self.stdout.write(self.style.SUCCESS("Demo clinic created."))
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for email, name, role in ACCOUNTS:
            self.stdout.write(f"  {email:<26} {role.label:<13} {name}")


@transaction.atomic
def seed():
    clinic = Clinic.objects.create(
        name=CLINIC_NAME,
        time_zone="America/Los_Angeles",
        phone="(555) 010-2030",
        after_hours_phone="(555) 010-2099",
    )
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
    for email, procedure_name, days, done, then in PATIENTS:
        patient = people.get(email) or make_user(email, NAMES[email], Role.PATIENT, clinic)
        procedure = ProcedureTemplate.objects.get(clinic=clinic, name=procedure_name)
        seed_patient(demo, patient, procedure, days=days, done=done, then=then)


def make_user(email, name, role, clinic):
    return person_create(
        email=email,
        full_name=name,
        role=role,
        clinic=clinic,
        password=DEMO_PASSWORD,
        phone="(555) 010-0000",
    )


def make_locations(clinic):
    places = {
        "hospital": ("Riverside Hospital, Surgery Center", "100 River Road, 2nd floor"),
        "office": ("Riverside Spine Center, clinic", "120 River Road, suite 300"),
        "lab": ("Riverside Lab", "100 River Road, ground floor"),
        "therapy": ("Riverside Physical Therapy", "120 River Road, ground floor"),
    }
    return {
        key: Location.objects.create(clinic=clinic, name=name, address=address)
        for key, (name, address) in places.items()
    }


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


# When things happened -------------------------------------------------------------


def later(moment, delta):
    """`moment` plus elapsed time (not wall-clock time), in the same zone."""
    return (moment.astimezone(UTC) + delta).astimezone(moment.tzinfo)


def weekday_on_or_before(day):
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def weekday_on_or_after(day):
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def surgery_clock(steps):
    """How long after the booked start each surgery-day step, and recovery, begins."""
    clock, elapsed = {}, ANESTHESIA_AFTER_START
    for step in steps:
        if step in SURGERY_DAY_MINUTES:
            clock[step] = elapsed
            elapsed += timedelta(minutes=SURGERY_DAY_MINUTES[step])
    clock[Step.RECOVERY] = elapsed
    return clock


def surgery_day_ends(steps):
    """How long after the booked start each step signed off on surgery day ends.

    Preparation is signed off at check-in; each surgery-day step ends as the next begins.
    """
    clock = surgery_clock(steps)
    ends = {Step.PREPARATION: -CHECK_IN_BEFORE_START}
    order = [step for step in steps if step in clock]
    ends.update(zip(order, (clock[step] for step in order[1:]), strict=False))
    return ends


def surgery_time(demo, days, steps, done):
    """The surgery's booked start, 07:30 on a weekday; today, early enough that it is past.

    The last of the `done` steps ends a fixed time after the booked start. If that would
    be in the future, the surgery moves earlier, but not before 00:05 today; steps that
    would still end in the future are left open (see `advance`).
    """
    if days is None:
        return None
    day = demo.today + timedelta(days=days)
    # Elective surgery is on weekdays; the surgery-day patient is on today, whatever it is.
    if days > 0:
        day = weekday_on_or_after(day)
    elif days < 0:
        day = weekday_on_or_before(day)
    booked = demo.at(day, SURGERY_START)
    last_done = steps[done - 1] if done else None
    into_surgery = surgery_day_ends(steps).get(last_done)
    if days != 0 or into_surgery is None:
        return booked
    earliest = demo.at(demo.today, time(0, 5))
    return max(earliest, min(booked, demo.latest - into_surgery)).astimezone(demo.zone)


def consultation_time(demo, surgery_at):
    """About five weeks before surgery, and at least a week ago, on a weekday morning."""
    day = demo.today - timedelta(days=7)
    if surgery_at is not None:
        day = min(day, demo.day_of(surgery_at) - CONSULTATION_BEFORE_SURGERY)
    return demo.at(weekday_on_or_before(day), time(10, 0))


def tests_day(demo, journey, *, past):
    """About ten days before surgery: already past for patients whose tests are done."""
    if journey.surgery_at is None:
        target = demo.today + timedelta(days=7)
    else:
        target = demo.day_of(journey.surgery_at) - TESTS_BEFORE_SURGERY
    if past:
        return weekday_on_or_before(min(target, demo.today - timedelta(days=2)))
    return weekday_on_or_after(max(target, demo.today + timedelta(days=1)))


def stage_times(demo, journey, steps, results_at):
    """(step, started, ended) for each stage in this history; None where never known.

    A stage ends when the next one starts, except preparation, signed off at check-in on
    surgery day: staff start anesthesia themselves, in theatre.
    """
    starts = {
        Step.CONSULTATION: journey.enrolled_at,
        # Surgery is decided at the visit; the nurse signs the step off that afternoon.
        Step.PREOP_TESTING: demo.at(demo.day_of(journey.enrolled_at), time(16, 0)),
    }
    ends = {}
    if results_at is not None:
        starts[Step.PREPARATION] = later(results_at, timedelta(hours=1))
    if journey.surgery_at is not None:
        for step, elapsed in surgery_clock(steps).items():
            starts[step] = later(journey.surgery_at, elapsed)
        ends[Step.PREPARATION] = later(journey.surgery_at, -CHECK_IN_BEFORE_START)
        surgery_day = demo.day_of(journey.surgery_at)
        procedure = journey.procedure
        discharge = surgery_day + timedelta(days=LENGTH_OF_STAY.get(procedure.name, 1))
        starts[Step.REHABILITATION] = demo.at(discharge, time(15, 0))
        weeks = procedure.therapy_starts_week + procedure.therapy_weeks
        starts[None] = demo.at(surgery_day + timedelta(weeks=weeks), time(16, 0))
    following = [*steps[1:], None]
    return [
        (step, starts.get(step), ends.get(step, starts.get(after)))
        for step, after in zip(steps, following, strict=True)
    ]


# What happened ----------------------------------------------------------------------


def enrol(demo, patient, procedure, surgery_at, consulted_at):
    """Enrol through the app, then date the enrolment just after the consultation."""
    future = surgery_at if surgery_at is not None and surgery_at > demo.now else None
    journey = journey_enroll(
        patient=patient,
        procedure=procedure,
        by=demo.nurse,
        surgery_at=future,
        surgeon=demo.surgeon,
        location=demo.hospital,
    )
    enrolled_at = later(consulted_at, timedelta(minutes=45))
    # Demo history only: the app enrols now, and never books a surgery in the past.
    Journey.objects.filter(pk=journey.pk).update(enrolled_at=enrolled_at, surgery_at=surgery_at)
    journey.stages.filter(status=StageStatus.ACTIVE).update(started_at=enrolled_at)
    journey.refresh_from_db()
    recompute_due_dates(journey)
    return journey


def book(demo, journey, kind, starts_at, location, *, minutes, completed=None, **fields):
    """An appointment; completed when it has ended, unless `completed` says otherwise."""
    duration = timedelta(minutes=minutes)
    if completed is None:
        completed = later(starts_at, duration) <= demo.now
    return Appointment.objects.create(
        journey=journey,
        kind=kind,
        starts_at=starts_at,
        duration=duration,
        location=location,
        status=AppointmentStatus.COMPLETED if completed else AppointmentStatus.SCHEDULED,
        **fields,
    )


def tests_state(done, then):
    if done == 0:
        return "none"  # still deciding: no tests ordered yet
    if done >= 2:
        return "cleared"
    return "waiting" if then.startswith("block: ") else "booked"


def preop_tests(demo, journey, *, state, extra=None):
    """The journey's tests, on one morning; returns when the last result came back.

    "booked": all still to come. "waiting": all done, `extra` still without a result.
    "cleared": all done and cleared. Returns None unless every result is back.
    """
    if state == "none":
        return None
    tests = list(journey.required_tests.all())
    if extra is not None:
        extra_test = PreopTestType.objects.get(clinic=journey.clinic, name=extra)
        journey.required_tests.add(extra_test)
        tests.append(extra_test)
    day = tests_day(demo, journey, past=state != "booked")
    results_at = demo.at(day, time(16, 0))
    for index, test in enumerate(tests):
        waiting = state == "booked" or test.name == extra
        book(
            demo,
            journey,
            AppointmentKind.PREOP_TEST,
            later(demo.at(day, time(8, 0)), timedelta(minutes=20 * index)),
            demo.office if test.name == "History and physical" else demo.lab,
            minutes=20,
            completed=state != "booked",
            test_type=test,
            result=PreopResult.PENDING if waiting else PreopResult.CLEARED,
            resulted_at=None if waiting else results_at,
        )
    return results_at if state == "cleared" else None


def advance(demo, journey, times, done):
    """Start and finish the first `done` stages at the times they happened.

    A change that would be in the future is not made: that stage and the ones after it
    stay in progress or to come.
    """
    for step, started, ended in times[:done]:
        if started is None or ended is None:
            raise ValueError(f"{journey}: no time for {step}; check PATIENTS.")
        stage = journey.stages.get(step=step)
        if stage.status == StageStatus.PENDING:
            if started > demo.latest:
                return
            transitions.stage_start(stage=stage, by=demo.nurse, at=started)
        if ended > demo.latest:
            return
        transitions.stage_complete(stage=stage, by=demo.nurse, at=ended)


def current_stage(journey):
    return journey.stages.exclude(status__in=[StageStatus.DONE, StageStatus.SKIPPED]).first()


def surgery_appointment(demo, journey):
    """Completed once every surgery-day step is done; until then, booked."""
    if journey.surgery_at is None:
        return
    to_do = journey.stages.filter(step__in=SURGERY_DAY_STEPS).exclude(status=StageStatus.DONE)
    book(
        demo,
        journey,
        AppointmentKind.SURGERY,
        journey.surgery_at,
        demo.hospital,
        minutes=240,
        completed=not to_do.exists(),
    )


def follow_ups(demo, journey):
    """A wound check about 2 weeks and a visit about 6 weeks after surgery."""
    if journey.surgery_at is None or demo.day_of(journey.surgery_at) >= demo.today:
        return
    for weeks in FOLLOW_UP_WEEKS:
        day = weekday_on_or_after(demo.day_of(journey.surgery_at) + timedelta(weeks=weeks))
        book(
            demo,
            journey,
            AppointmentKind.FOLLOW_UP,
            demo.at(day, time(9, 30)),
            demo.office,
            minutes=20,
        )


def therapy_days(procedure, surgery_day):
    """The plan's session days: n a week on fixed weekdays, from the starting week."""
    first = surgery_day + timedelta(weeks=procedure.therapy_starts_week)
    per_week = procedure.therapy_sessions_per_week
    weekdays = THERAPY_DAYS.get(per_week, tuple(range(per_week)))  # 6 or 7: weekends too
    for week in range(procedure.therapy_weeks):
        start = first + timedelta(weeks=week)
        week_days = (start + timedelta(days=n) for n in range(7))
        yield from sorted(day for day in week_days if day.weekday() in weekdays)


def therapy_sessions(demo, journey):
    """For a patient in rehabilitation, the procedure's therapy plan; past sessions done."""
    current = current_stage(journey)
    if current is None or current.step != Step.REHABILITATION:
        return
    for index, day in enumerate(therapy_days(journey.procedure, demo.day_of(journey.surgery_at))):
        starts_at = demo.at(day, THERAPY_TIMES[index % 2])
        book(demo, journey, AppointmentKind.THERAPY, starts_at, demo.therapy, minutes=45)


def tick_checklist(demo, journey):
    """Items of finished stages are done, and so is every item due before today.

    Except the patient's item named in STILL_OPEN, left overdue for the demo.
    """
    who = {
        Owner.PATIENT: journey.patient,
        Owner.STAFF: demo.nurse,
        Owner.COORDINATOR: demo.coordinator,
    }
    still_open = STILL_OPEN.get(journey.patient.email)
    items = journey.checklist_items.select_related("stage", "journey__clinic")
    for item in items:
        due_before_today = item.due_date is not None and item.due_date < demo.today
        if not (item.stage.is_finished or due_before_today):
            continue
        if still_open and item.text.startswith(still_open):
            continue
        checklist_item_set_done(item=item, done=True, by=who[item.owner])
        # Demo history only: ticked around when it was due, before its stage ended.
        ChecklistItem.objects.filter(pk=item.pk).update(done_at=done_time(demo, item))


def done_time(demo, item):
    """Midday on the due date, but not before enrolment nor after its stage ended."""
    ended = item.stage.completed_at or demo.latest
    if item.due_date is None:
        return ended
    return min(max(demo.at(item.due_date, time(12, 0)), item.journey.enrolled_at), ended)
