"""What happened to each demo patient: enrolment, bookings, tests, finished steps,
therapy, follow-ups and ticked checklists, each at the time it happened.

Bookings still to come go through journeys/scheduling.py, as a coordinator's would.
That module refuses times in the past, so the history before now is written directly.
"""

import uuid
from datetime import time, timedelta

from journeys import transitions
from journeys.demo.clock import (
    FOLLOW_UP_WEEKS,
    THERAPY_TIMES,
    later,
    tests_day,
    therapy_days,
    weekday_on_or_after,
)
from journeys.demo.people import STILL_OPEN
from journeys.enrolment import checklist_item_set_done, journey_enroll, recompute_due_dates
from journeys.models import (
    SURGERY_DAY_STEPS,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ChecklistItem,
    Journey,
    Owner,
    PreopResult,
    PreopTestType,
    StageStatus,
    Step,
)
from journeys.notes import note_add
from journeys.scheduling import follow_up_schedule, preop_test_schedule, surgery_schedule

SURGERY_MINUTES = 240
TEST_LENGTH = timedelta(minutes=20)
FOLLOW_UP_LENGTH = timedelta(minutes=20)
# patient, author (a Demo attribute), shown to the patient, text
NOTES = [
    (
        "patient@example.com",
        "nurse",
        True,
        "All your pre-op test results are back and clear. On surgery day, please bring "
        "the list of medicines you take.",
    ),
    (
        "patient@example.com",
        "surgeon",
        False,
        "Lives alone, second floor, no lift. Ask social work about help at home for the "
        "first week after discharge.",
    ),
]


def enrol(demo, patient, procedure, surgery_at, consulted_at):
    """Enrol through the app, then date the enrolment just after the consultation.

    A surgery still to come is then booked by the coordinator, date and appointment
    together; a past one is only dated here (its appointment: `surgery_appointment`).
    """
    journey = journey_enroll(
        patient=patient,
        procedure=procedure,
        by=demo.nurse,
        surgeon=demo.surgeon,
        location=demo.hospital,
    )
    enrolled_at = later(consulted_at, timedelta(minutes=45))
    operated = surgery_at if surgery_at is not None and surgery_at <= demo.now else None
    # Demo history only: the app enrols now, and never books a surgery in the past.
    Journey.objects.filter(pk=journey.pk).update(enrolled_at=enrolled_at, surgery_at=operated)
    journey.stages.filter(status=StageStatus.ACTIVE).update(started_at=enrolled_at)
    journey.refresh_from_db()
    recompute_due_dates(journey)
    if surgery_at is not None and operated is None:
        surgery_schedule(
            journey=journey,
            starts_at=surgery_at,
            ends_at=later(surgery_at, timedelta(minutes=SURGERY_MINUTES)),
            by=demo.coordinator,
            location=demo.hospital,
        )
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
        starts_at = later(demo.at(day, time(8, 0)), TEST_LENGTH * index)
        place = demo.office if test.name == "History and physical" else demo.lab
        if state == "booked":
            preop_test_schedule(
                journey=journey,
                test_type=test,
                starts_at=starts_at,
                ends_at=later(starts_at, TEST_LENGTH),
                by=demo.coordinator,
                location=place,
            )
            continue
        waiting = test.name == extra
        book(
            demo,
            journey,
            AppointmentKind.PREOP_TEST,
            starts_at,
            place,
            minutes=20,
            completed=True,
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
    """A past surgery's: completed once every surgery-day step is done; until then, booked.

    One still to come was booked at enrolment.
    """
    if journey.surgery_at is None or journey.surgery_at > demo.now:
        return
    to_do = journey.stages.filter(step__in=SURGERY_DAY_STEPS).exclude(status=StageStatus.DONE)
    book(
        demo,
        journey,
        AppointmentKind.SURGERY,
        journey.surgery_at,
        demo.hospital,
        minutes=SURGERY_MINUTES,
        completed=not to_do.exists(),
    )


def follow_ups(demo, journey):
    """A wound check about 2 weeks and a visit about 6 weeks after surgery."""
    if journey.surgery_at is None or demo.day_of(journey.surgery_at) >= demo.today:
        return
    for weeks in FOLLOW_UP_WEEKS:
        day = weekday_on_or_after(demo.day_of(journey.surgery_at) + timedelta(weeks=weeks))
        starts_at = demo.at(day, time(9, 30))
        if starts_at <= demo.now:
            book(demo, journey, AppointmentKind.FOLLOW_UP, starts_at, demo.office, minutes=20)
            continue
        follow_up_schedule(
            journey=journey,
            starts_at=starts_at,
            ends_at=later(starts_at, FOLLOW_UP_LENGTH),
            by=demo.coordinator,
            location=demo.office,
        )


def therapy_sessions(demo, journey):
    """For a patient in rehabilitation, the procedure's therapy plan as one series; past
    sessions done."""
    current = current_stage(journey)
    if current is None or current.step != Step.REHABILITATION:
        return
    # Written directly, not by therapy_series_schedule: the plan began in the past.
    series = uuid.uuid4()
    for index, day in enumerate(therapy_days(journey.procedure, demo.day_of(journey.surgery_at))):
        starts_at = demo.at(day, THERAPY_TIMES[index % 2])
        book(
            demo,
            journey,
            AppointmentKind.THERAPY,
            starts_at,
            demo.therapy,
            minutes=45,
            series=series,
        )


def notes_write(demo, journeys):
    """NOTES, by the care team, on the journeys of the patients they name."""
    for email, author, shared, text in NOTES:
        note_add(
            journey=journeys[email],
            by=getattr(demo, author),
            text=text,
            visible_to_patient=shared,
        )


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
