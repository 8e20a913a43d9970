"""Seeding many patients at once: volume tests and `manage.py bench`.

`seed_patients` writes N patients with whole journeys (stages and checklists copied
from the clinic's procedure templates, the history of finished steps, ticked items,
consultation, pre-op tests, surgery, follow-ups and therapy, a medicine or two, an
audit entry for the enrolment) and their planned reminders, with bulk_create in
batches. It writes the rows journey_enroll, the transitions and reconcile would have
written, by the planner's own functions (journeys/reconcile.py facts_from_rows), so
the pages render them and a reconcile afterwards finds nothing to change. It bypasses
the per-row functions only for speed: never call it from a view.

Patient i's surgery is spread over a window around today (some not yet booked), so
every step of every procedure has patients in it; about one journey in twenty is on
hold and one in twenty-five has its current step blocked.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone, translation

from journeys.demo.clock import (
    LENGTH_OF_STAY,
    THERAPY_TIMES,
    later,
    surgery_clock,
    therapy_days,
)
from journeys.enrolment import current_steps_refresh, due_date_for
from journeys.models import (
    SURGERY_DAY_STEPS,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AuditEvent,
    ChecklistItem,
    Delivery,
    FastingRule,
    HoldPolicy,
    Journey,
    JourneyMedication,
    JourneyStatus,
    Location,
    Medication,
    Owner,
    PreopResult,
    ProcedureTemplate,
    Reminder,
    ReminderStatus,
    Role,
    Stage,
    StageEvent,
    StageStatus,
    Step,
    User,
)
from journeys.planning import plan_reminders
from journeys.reconcile import FIELDS, facts_from_rows

BATCH = 500
# Surgery i is (i * SPREAD_STEP) % SPREAD - PAST_DAYS days from today: every day of the
# window gets patients, in an order that mixes procedures and phases.
SPREAD, SPREAD_STEP, PAST_DAYS = 211, 37, 110
CONSULTATION_BEFORE = timedelta(days=35)
TESTS_BEFORE = timedelta(days=10)
SURGERY_AT = time(7, 30)
FOLLOW_UP_WEEKS = (2, 6)
FIRST = ["Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jamal"]
LAST = ["Alvarez", "Brown", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito"]


@dataclass
class Catalogue:
    """The clinic's templates and rules, loaded once for every batch."""

    clinic: object
    procedures: list
    location: object
    medications: list
    fasting: list
    patient_group: object


@dataclass
class Plan:
    """One patient's rows before they are written; ids are filled in as batches go in."""

    index: int
    user: User
    journey: Journey
    stages: list = field(default_factory=list)
    events: list = field(default_factory=list)
    items: list = field(default_factory=list)
    appointments: list = field(default_factory=list)
    medications: list = field(default_factory=list)


def load_catalogue(clinic):
    procedures = list(
        ProcedureTemplate.objects.filter(clinic=clinic, is_active=True)
        .prefetch_related("steps__checklist_items", "required_tests")
        .order_by("id")
    )
    location = Location.objects.filter(clinic=clinic).order_by("id").first()
    if location is None:
        location = Location.objects.create(clinic=clinic, name=clinic.name)
    medications = list(
        Medication.objects.filter(clinic=clinic, is_active=True)
        .exclude(hold_policy=HoldPolicy.CONTINUE)
        .order_by("id")
    )
    fasting = list(FastingRule.objects.filter(clinic=clinic, is_active=True).order_by("id"))
    return Catalogue(
        clinic=clinic,
        procedures=procedures,
        location=location,
        medications=medications,
        fasting=fasting,
        patient_group=Group.objects.get(name=Role.PATIENT),
    )


def seed_patients(*, clinic, n, by, surgeon=None, now=None, batch=BATCH):
    """Write `n` patients of `clinic` with full journeys and planned reminders.

    `by` is the care-team member the history names. Returns the new journeys' ids.
    Runs in transactions of `batch` patients; the clinic must have its procedures
    (journeys.defaults.install_clinic_defaults).
    """
    now = now or timezone.now()
    catalogue = load_catalogue(clinic)
    first = Journey.objects.filter(clinic=clinic).count()
    ids = []
    for start in range(first, first + n, batch):
        stop = min(start + batch, first + n)
        with transaction.atomic():
            ids += _seed_batch(catalogue, range(start, stop), by=by, surgeon=surgeon, now=now)
    return ids


def _seed_batch(catalogue, indexes, *, by, surgeon, now):
    plans = [_plan_patient(catalogue, i, by=by, surgeon=surgeon, now=now) for i in indexes]
    User.objects.bulk_create([p.user for p in plans])
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=p.user.pk, group_id=catalogue.patient_group.pk) for p in plans
    )
    for p in plans:
        p.journey.patient = p.user
    Journey.objects.bulk_create([p.journey for p in plans])
    Journey.required_tests.through.objects.bulk_create(
        Journey.required_tests.through(journey_id=p.journey.pk, preoptesttype_id=test.pk)
        for p in plans
        for test in p.journey.procedure.required_tests.all()
    )
    for p in plans:
        _fill_history(catalogue, p, by=by, now=now)
    Stage.objects.bulk_create([s for p in plans for s in p.stages])
    current_steps_refresh([p.journey.pk for p in plans])
    # Events and items were built with their stage before it had an id; Django takes
    # the id from the saved stage when they are written.
    StageEvent.objects.bulk_create([e for p in plans for e in p.events])
    ChecklistItem.objects.bulk_create([i for p in plans for i in p.items])
    Appointment.objects.bulk_create([a for p in plans for a in p.appointments])
    JourneyMedication.objects.bulk_create([m for p in plans for m in p.medications])
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=p.journey.enrolled_at,
            actor=by,
            action="journey.enroll",
            patient=p.user,
            object_type="Journey",
            object_id=str(p.journey.pk),
        )
        for p in plans
    )
    _write_reminders(catalogue, plans, now=now)
    return [p.journey.pk for p in plans]


# One patient ------------------------------------------------------------------------


def _plan_patient(catalogue, i, *, by, surgeon, now):
    clinic = catalogue.clinic
    zone = clinic.zone
    procedure = catalogue.procedures[i % len(catalogue.procedures)]
    today = now.astimezone(zone).date()
    days = (i * SPREAD_STEP) % SPREAD - PAST_DAYS
    # Surgery today is either done or not, depending on the hour: keep it off today.
    days = days or 1
    booked = i % 50 != 11  # about one in fifty has no surgery date yet
    surgery_at = datetime.combine(today + timedelta(days=days), SURGERY_AT, tzinfo=zone)
    consulted = min(today - timedelta(days=7), surgery_at.date() - CONSULTATION_BEFORE)
    enrolled_at = datetime.combine(consulted, time(10, 45), tzinfo=zone)
    user = User(
        email=f"patient{i}@clinic{clinic.pk}.bulk.example",
        full_name=f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]} {i}",
        role=Role.PATIENT,
        clinic=clinic,
        password=make_password(None),
        phone=f"(555) 01{i % 10}-{i % 10000:04d}",
        language="es" if i % 10 == 5 else "en",
        date_joined=enrolled_at,
    )
    on_hold = i % 20 == 7
    journey = Journey(
        clinic=clinic,
        procedure=procedure,
        procedure_name=procedure.name,
        surgeon=surgeon,
        surgery_at=surgery_at if booked else None,
        surgery_location=catalogue.location if booked else None,
        status=JourneyStatus.ON_HOLD if on_hold else JourneyStatus.ACTIVE,
        status_reason="Waiting for the cardiology opinion" if on_hold else "",
        enrolled_at=enrolled_at,
    )
    return Plan(index=i, user=user, journey=journey)


def _stage_times(p, steps, *, now):
    """{step: (started, finished)} for what has happened by `now`; the rest is absent."""
    j = p.journey
    zone = j.clinic.zone
    tests_day = (j.surgery_at or now).astimezone(zone).date() - TESTS_BEFORE
    results_at = datetime.combine(tests_day, time(16, 0), tzinfo=zone)
    times = {Step.CONSULTATION: (j.enrolled_at, later(j.enrolled_at, timedelta(hours=5)))}
    preop_start = times[Step.CONSULTATION][1]
    if j.surgery_at is None:
        times[Step.PREOP_TESTING] = (preop_start, None)
        return times
    times[Step.PREOP_TESTING] = (preop_start, later(results_at, timedelta(hours=1)))
    times[Step.PREPARATION] = (
        times[Step.PREOP_TESTING][1],
        later(j.surgery_at, timedelta(hours=-1)),
    )
    clock = surgery_clock(steps)
    day_steps = [s for s in steps if s in SURGERY_DAY_STEPS]
    for step, after in zip(day_steps, [*day_steps[1:], Step.RECOVERY], strict=True):
        times[step] = (later(j.surgery_at, clock[step]), later(j.surgery_at, clock[after]))
    stay = timedelta(days=LENGTH_OF_STAY.get(j.procedure_name, 1), hours=7)
    discharge = later(j.surgery_at, stay)
    times[Step.RECOVERY] = (later(j.surgery_at, clock[Step.RECOVERY]), discharge)
    times[Step.REHABILITATION] = (discharge, None)
    # Keep only what has happened: a start or end still ahead did not.
    return {
        step: (start, end if end is not None and end <= now else None)
        for step, (start, end) in times.items()
        if start <= now
    }


def _fill_history(catalogue, p, *, by, now):
    j = p.journey
    steps = [s.step for s in j.procedure.steps.all()]
    times = _stage_times(p, steps, now=now)
    current = None
    for position, template in enumerate(j.procedure.steps.all()):
        started, finished = times.get(template.step, (None, None))
        if current is not None:
            started = finished = None  # after the current step, nothing has happened
        status = StageStatus.PENDING
        if started is not None:
            status = StageStatus.DONE if finished is not None else StageStatus.ACTIVE
        stage = Stage(
            journey=j,
            step=template.step,
            position=template.position,
            title=template.title,
            explanation=template.explanation,
            status=status,
            started_at=started,
            completed_at=finished,
        )
        if status == StageStatus.ACTIVE:
            current = stage
            if p.index % 25 == 3:
                stage.status = StageStatus.BLOCKED
                stage.blocked_reason = "Waiting for a test result"
        _stage_events(p, stage, first=position == 0, by=by, now=now)
        p.stages.append(stage)
        for item_template in template.checklist_items.all():
            p.items.append(_item(p, stage, item_template, by=by, now=now))
    p.appointments += _appointments(catalogue, p, times, now=now)
    p.medications += _medications(catalogue, p, by=by)


def _stage_events(p, stage, *, first, by, now):
    """The history stage_transition writes; the first step starts at enrolment, unlogged."""
    moves = []
    if stage.started_at is not None and not first:
        moves.append((StageStatus.PENDING, StageStatus.ACTIVE, stage.started_at, ""))
    if stage.completed_at is not None:
        moves.append((StageStatus.ACTIVE, StageStatus.DONE, stage.completed_at, ""))
    if stage.status == StageStatus.BLOCKED:
        at = min(later(stage.started_at, timedelta(hours=2)), now)
        moves.append((StageStatus.ACTIVE, StageStatus.BLOCKED, at, stage.blocked_reason))
    for version, (before, after, at, note) in enumerate(moves, start=1):
        p.events.append(
            StageEvent(stage=stage, from_status=before, to_status=after, by=by, at=at, note=note)
        )
        stage.version = version


def _item(p, stage, template, *, by, now):
    j = p.journey
    zone = j.clinic.zone
    item = ChecklistItem(
        journey=j,
        stage=stage,
        text=template.text,
        owner=template.owner,
        anchor=template.anchor,
        offset_days=template.offset_days,
        required=template.required,
    )
    enrolled_on = j.enrolled_at.astimezone(zone).date()
    due = due_date_for(item, journey=j, stage=stage)
    item.due_date = max(due, enrolled_on) if due is not None else None
    # Finished steps' items were done; so is most of what fell due, but one patient in
    # ten has let something slip.
    overdue = item.due_date is not None and item.due_date < now.astimezone(zone).date()
    if stage.status == StageStatus.DONE or (overdue and p.index % 10 != 0):
        done_at = stage.completed_at or datetime.combine(item.due_date, time(9), tzinfo=zone)
        item.done_at = min(max(done_at, j.enrolled_at), now)
        item.done_by = p.user if item.owner == Owner.PATIENT else by
    return item


def _appointments(catalogue, p, times, *, now):
    j = p.journey
    zone = j.clinic.zone
    where = catalogue.location

    def book(kind, starts_at, minutes, **fields):
        duration = timedelta(minutes=minutes)
        done = later(starts_at, duration) <= now
        status = AppointmentStatus.COMPLETED if done else AppointmentStatus.SCHEDULED
        return Appointment(
            journey=j,
            kind=kind,
            starts_at=starts_at,
            duration=duration,
            location=where,
            status=status,
            **fields,
        )

    rows = [book(AppointmentKind.CONSULTATION, later(j.enrolled_at, timedelta(minutes=-45)), 45)]
    if j.surgery_at is None:
        return rows
    tests_done = Step.PREOP_TESTING in times and times[Step.PREOP_TESTING][1] is not None
    tests_day = j.surgery_at.astimezone(zone).date() - TESTS_BEFORE
    for n, test in enumerate(j.procedure.required_tests.all()):
        starts = datetime.combine(tests_day, time(8), tzinfo=zone) + timedelta(minutes=20 * n)
        rows.append(
            book(
                AppointmentKind.PREOP_TEST,
                starts,
                20,
                test_type=test,
                result=PreopResult.CLEARED if tests_done else PreopResult.PENDING,
                resulted_at=times[Step.PREOP_TESTING][1] if tests_done else None,
            )
        )
    rows.append(book(AppointmentKind.SURGERY, j.surgery_at, 240))
    surgery_day = j.surgery_at.astimezone(zone).date()
    for weeks in FOLLOW_UP_WEEKS:
        day = surgery_day + timedelta(weeks=weeks)
        rows.append(
            book(AppointmentKind.FOLLOW_UP, datetime.combine(day, time(9, 30), tzinfo=zone), 20)
        )
    for n, day in enumerate(therapy_days(j.procedure, surgery_day)):
        starts = datetime.combine(day, THERAPY_TIMES[n % 2], tzinfo=zone)
        rows.append(book(AppointmentKind.THERAPY, starts, 45))
    return rows


def _medications(catalogue, p, *, by):
    """None, one or two formulary medicines, rotating through the clinic's list."""
    meds = catalogue.medications
    count = p.index % 3
    added_at = later(p.journey.enrolled_at, timedelta(minutes=30))
    chosen = {meds[(p.index * 7 + k * 11) % len(meds)].pk for k in range(count)} if meds else ()
    return [
        JourneyMedication(journey=p.journey, medication_id=pk, added_by=by, added_at=added_at)
        for pk in sorted(chosen)
    ]


# Reminders --------------------------------------------------------------------------


def _write_reminders(catalogue, plans, *, now):
    """Plan each journey from the rows just written, as reconcile would; what fell due
    before now was sent (with its delivery), the rest is pending."""
    meds = {m.pk: m for m in catalogue.medications}
    reminders = []
    for p in plans:
        j = p.journey
        for m in p.medications:
            m.medication = meds[m.medication_id]
        with translation.override(p.user.language):
            planned = plan_reminders(_facts(catalogue, p), now=now)
        for planned_reminder in planned:
            sent = planned_reminder.due_at <= now
            reminders.append(
                Reminder(
                    journey=j,
                    key=planned_reminder.key,
                    status=ReminderStatus.SENT if sent else ReminderStatus.PENDING,
                    attempts=1 if sent else 0,
                    sent_at=planned_reminder.due_at if sent else None,
                    **{f: getattr(planned_reminder, f) for f in FIELDS},
                )
            )
    Reminder.objects.bulk_create(reminders)
    Delivery.objects.bulk_create(
        Delivery(
            reminder=r,
            channel=r.channel,
            started_at=r.sent_at,
            finished_at=r.sent_at,
            succeeded=True,
        )
        for r in reminders
        if r.status == ReminderStatus.SENT
    )


def _facts(catalogue, p):
    """What journey_facts would load for this journey, from the rows in memory."""
    completed = [
        (s.pk, s.title, s.completed_at)
        for s in p.stages
        if s.status == StageStatus.DONE
        and s.completed_at is not None
        and s.step not in SURGERY_DAY_STEPS
    ]
    items = sorted(
        (
            (i.pk, i.text, i.due_date)
            for i in p.items
            if i.owner == Owner.PATIENT and i.done_at is None and i.due_date is not None
        ),
        key=lambda row: row[0],
    )
    appointments = [
        (
            a.pk,
            a.kind,
            a.starts_at,
            a.location.name if a.location_id else None,
            a.test_type.name if a.test_type_id else None,
            a.test_type.prep_instructions if a.test_type_id else None,
            a.test_type.needs_fasting if a.test_type_id else None,
        )  # as APPOINTMENT_COLUMNS reads them
        for a in sorted(p.appointments, key=lambda a: a.starts_at)
        if a.status == AppointmentStatus.SCHEDULED
    ]
    return facts_from_rows(
        p.journey,
        items=items,
        appointments=appointments,
        completed=completed,
        medications=p.medications,
        fasting=catalogue.fasting,
    )
