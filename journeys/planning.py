"""The reminder planner: a pure function from a journey's facts to its reminders.

No database, no clock: `plan_reminders(facts, now=...)` returns the complete set of
reminders the journey should have, each with a stable key. journeys/reconcile.py
compares that set with the stored rows. Local times are built in the clinic's zone
with zoneinfo, so "the evening before at 18:00" stays at 18:00 across a
daylight-saving change.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A planned reminder whose time passed longer ago than this is not created: a
# late reminder for something that already happened would only confuse.
STALE_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class ItemFact:
    id: int
    text: str
    due_date: date


@dataclass(frozen=True)
class AppointmentFact:
    id: int
    title: str
    starts_at: datetime
    location: str
    prep: str = ""


@dataclass(frozen=True)
class StageFact:
    id: int
    title: str
    completed_at: datetime


@dataclass(frozen=True)
class JourneyFacts:
    journey_id: int
    zone: ZoneInfo
    clinic_name: str
    clinic_phone: str
    channel: str
    active: bool
    surgery_at: datetime | None = None
    surgery_place: str = ""
    open_patient_items: tuple[ItemFact, ...] = ()
    appointments: tuple[AppointmentFact, ...] = ()
    completed_stages: tuple[StageFact, ...] = ()
    enrolled_at: datetime | None = None
    arrival_lead: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class PlannedReminder:
    key: str
    due_at: datetime
    subject: str
    body: str
    channel: str
    urgent: bool = False
    extra: dict = field(default_factory=dict, compare=False)


def local(day, at, zone):
    """An aware datetime for a wall-clock time on a day in `zone`."""
    return datetime.combine(day, at, tzinfo=zone)


def plan_reminders(facts, *, now):
    if not facts.active:
        return []
    planned = [
        *_welcome(facts),
        *_stage_done_notices(facts),
        *_checklist_reminders(facts),
        *_appointment_reminders(facts),
        *_arrival_reminders(facts),
    ]
    return [p for p in planned if p.due_at > now - STALE_AFTER]


def _welcome(facts):
    if facts.enrolled_at is not None:
        yield PlannedReminder(
            key="journey:welcome",
            due_at=facts.enrolled_at,
            subject=f"Welcome to {facts.clinic_name}'s SpineCare portal",
            body="Your surgery journey is ready. Sign in to see your next step and your checklist.",
            channel=facts.channel,
        )


def _stage_done_notices(facts):
    for stage in facts.completed_stages:
        yield PlannedReminder(
            key=f"stage:{stage.id}:done",
            due_at=stage.completed_at,
            subject=f"Step completed: {stage.title}",
            body=f"Your care team marked “{stage.title}” as done. Sign in to see your next step.",
            channel=facts.channel,
        )


def _checklist_reminders(facts):
    for item in facts.open_patient_items:
        yield PlannedReminder(
            key=f"checklist:{item.id}:due",
            due_at=local(item.due_date, time(9, 0), facts.zone),
            subject="A step on your SpineCare checklist is due today",
            body=f"Due today: {item.text}",
            channel=facts.channel,
        )


def _appointment_reminders(facts):
    for appt in facts.appointments:
        day_before = appt.starts_at.astimezone(facts.zone).date() - timedelta(days=1)
        when = appt.starts_at.astimezone(facts.zone)
        body = f"{appt.title} tomorrow at {when:%H:%M}, {appt.location}."
        if appt.prep:
            body += f" Before it: {appt.prep}"
        yield PlannedReminder(
            key=f"appointment:{appt.id}:day-before",
            due_at=local(day_before, time(10, 0), facts.zone),
            subject=f"Tomorrow: {appt.title}",
            body=body,
            channel=facts.channel,
        )


def _arrival_reminders(facts):
    if facts.surgery_at is None:
        return
    surgery_local = facts.surgery_at.astimezone(facts.zone)
    arrive = surgery_local - facts.arrival_lead
    yield PlannedReminder(
        key="surgery:arrival",
        due_at=local(surgery_local.date() - timedelta(days=1), time(17, 0), facts.zone),
        subject="Your surgery is tomorrow",
        body=f"Please arrive at {arrive:%H:%M} at {facts.surgery_place or facts.clinic_name}.",
        channel=facts.channel,
        urgent=True,
    )
