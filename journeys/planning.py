"""The reminder planner: a pure function from a journey's facts to its reminders.

No database, no clock: `plan_reminders(facts, now=...)` returns the complete set of
reminders the journey should have, each with a stable key that names no time, so a
moved surgery moves the same rows. journeys/reconcile.py compares that set with the
stored rows, with the patient's language active (the fixed text goes through gettext).

Two kinds of time, on purpose:

- Wall-clock times ("the evening before at 18:00", "09:00 three days before") are
  built with `local()` in the clinic's zone, so they stay at 18:00 across a
  daylight-saving change.
- Offsets before an instant ("8 hours before arrival", "enoxaparin 12 hours before
  surgery", "therapy 2 hours before") are real elapsed hours, computed in UTC by
  `before()`: an 8-hour fast is 8 hours even on the night the clocks change.

Every due time is an aware datetime; the database stores it in UTC.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import dateformat
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from journeys.clinic_text import clinic_text

# A planned reminder whose time passed longer ago than this is not created: a
# late reminder for something that already happened would only confuse.
STALE_AFTER = timedelta(hours=6)

EVENING = time(18, 0)  # the evening-before fasting reminder
HEADS_UP_AT = time(9, 0)  # heads-ups, checklist items, "ask your prescriber"
STOP_MORNING = time(7, 0)  # the first day without a drug: before a morning dose
APPOINTMENT_DAY_BEFORE = time(10, 0)
ARRIVAL_DAY_BEFORE = time(17, 0)
MORNING_EARLIEST = time(6, 0)  # a "morning of" reminder never fires before this
CLEAR_LIQUIDS_NOTICE = timedelta(hours=1)  # before the clear-liquid cut-off
EVENING_MARGIN = timedelta(hours=2)  # the evening reminder comes at least this early
HOUR_HOLD_NOTICE = timedelta(hours=2)  # before an hour-precise last dose (enoxaparin)
ASK_PRESCRIBER_DAYS = 14
MIN_HEADS_UP_NOTICE = timedelta(days=1)  # a heads-up closer to the stop than this is noise

# Fact vocabularies, matching the model choices (journeys/models/rules.py).
SOLIDS, CLEAR_LIQUIDS = "solids", "clear_liquids"
ARRIVAL, SURGERY, MIDNIGHT = "arrival", "surgery", "midnight"
AUTO, PRESCRIBER, CONTINUE = "auto", "prescriber", "continue"
THERAPY, SURGERY_APPOINTMENT = "therapy", "surgery"
EMAIL = "email"  # the channel value (journeys.models.Channel.EMAIL)


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
    kind: str = ""
    needs_fasting: bool = False


@dataclass(frozen=True)
class StageFact:
    id: int
    title: str
    completed_at: datetime


@dataclass(frozen=True)
class FastingFact:
    id: int
    kind: str
    anchor: str
    hours_before: int
    instruction: str
    details: str = ""


@dataclass(frozen=True)
class MedicationFact:
    """A classified medicine the patient takes, with the clinic's hold rule for it."""

    id: int  # the JourneyMedication's id: the key names the patient's entry, not the drug
    name: str
    policy: str
    known_at: datetime  # when the rule became known for this patient; nothing is due earlier
    hold_days: int | None = None
    hold_hours: int | None = None
    heads_up_days: int = 0
    restart: str = ""
    note: str = ""


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
    fasting_rules: tuple[FastingFact, ...] = ()
    medications: tuple[MedicationFact, ...] = ()
    therapy_leads: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    quiet_start: time | None = None
    quiet_end: time | None = None
    # False when the patient unsubscribed from optional emails: only urgent ones go by email.
    email_optional: bool = True


@dataclass(frozen=True)
class PlannedReminder:
    key: str
    due_at: datetime
    subject: str
    body: str
    channel: str
    urgent: bool = False
    # After this instant the reminder is wrong, not merely late (a fasting cut-off
    # that passed): it is not planned, so a pending row for it is cancelled.
    deadline: datetime | None = field(default=None, compare=False)
    extra: dict = field(default_factory=dict, compare=False)


def local(day, at, zone):
    """An aware datetime for a wall-clock time on a day in `zone`."""
    return datetime.combine(day, at, tzinfo=zone)


def before(instant, delta):
    """`delta` of real elapsed time before `instant`, in UTC.

    Python subtracts wall-clock time from a datetime in a ZoneInfo zone, which is an
    hour off across a daylight-saving change; UTC has none.
    """
    return instant.astimezone(UTC) - delta


def day_label(day):
    """ "Monday 15 March" for a date, in the active language."""
    return _day_label(day, get_language())


# The nightly reconcile labels the same few hundred days tens of thousands of times, and
# Django's date format translates each word of each label anew: a quarter of the run.
@lru_cache(maxsize=4096)
def _day_label(day, language):
    # `language` is the active one (day_label passes it): it only keys the cache.
    # The order and the small words are the language's own: "lunes 15 de marzo".
    return dateformat.format(day, pgettext("date format: Monday 15 March", "l j F"))


def time_label(value, zone):
    return f"{value.astimezone(zone):%H:%M}"


def plan_reminders(facts, *, now):
    if not facts.active:
        return []
    planned = [
        *_welcome(facts),
        *_stage_done_notices(facts),
        *_checklist_reminders(facts),
        *_appointment_reminders(facts),
        *_therapy_reminders(facts),
        *_arrival_reminders(facts),
        *_fasting_reminders(facts),
        *_medication_reminders(facts),
    ]
    if facts.channel == EMAIL and not facts.email_optional:
        # Unsubscribed from optional emails; what keeps them safe still comes.
        planned = [p for p in planned if p.urgent]
    planned = [_after_quiet_hours(p, facts) for p in planned]
    return [p for p in planned if p.due_at > now - STALE_AFTER and not _too_late(p, now)]


def _too_late(planned, now):
    # Past its deadline, or due only after it (quiet hours pushed it there).
    return planned.deadline is not None and (
        now >= planned.deadline or planned.due_at >= planned.deadline
    )


def _after_quiet_hours(planned, facts):
    """Move a non-urgent reminder due in the patient's quiet hours to when they end."""
    start, end = facts.quiet_start, facts.quiet_end
    if planned.urgent or start is None or end is None or start == end:
        return planned
    due = planned.due_at.astimezone(facts.zone)
    at = due.time().replace(tzinfo=None)
    if start < end:  # e.g. 13:00 to 15:00, within one day
        if not start <= at < end:
            return planned
        return replace(planned, due_at=local(due.date(), end, facts.zone))
    # Across midnight, e.g. 21:00 to 08:00.
    if at >= start:
        return replace(planned, due_at=local(due.date() + timedelta(days=1), end, facts.zone))
    if at < end:
        return replace(planned, due_at=local(due.date(), end, facts.zone))
    return planned


def _welcome(facts):
    if facts.enrolled_at is not None:
        yield PlannedReminder(
            key="journey:welcome",
            due_at=facts.enrolled_at,
            subject=_("Welcome to %(clinic)s's SpineCare portal") % {"clinic": facts.clinic_name},
            body=_(
                "Your surgery journey is ready. Sign in to see your next step and your checklist."
            ),
            channel=facts.channel,
        )


def _stage_done_notices(facts):
    for stage in facts.completed_stages:
        yield PlannedReminder(
            key=f"stage:{stage.id}:done",
            due_at=stage.completed_at,
            subject=_("Step completed: %(step)s") % {"step": clinic_text(stage.title)},
            body=_("Your care team marked “%(step)s” as done. Sign in to see your next step.")
            % {"step": clinic_text(stage.title)},
            channel=facts.channel,
        )


def _checklist_reminders(facts):
    for item in facts.open_patient_items:
        yield PlannedReminder(
            key=f"checklist:{item.id}:due",
            due_at=local(item.due_date, HEADS_UP_AT, facts.zone),
            subject=_("A step on your SpineCare checklist is due today"),
            body=_("Due today: %(text)s") % {"text": clinic_text(item.text)},
            channel=facts.channel,
        )


def _appointment_reminders(facts):
    """The day before a consultation, pre-op test or visit, with its preparation."""
    for appt in facts.appointments:
        # Surgery has its own arrival reminder; therapy has its own two.
        if appt.kind in (THERAPY, SURGERY_APPOINTMENT):
            continue
        when = appt.starts_at.astimezone(facts.zone)
        parts = [
            _("%(title)s tomorrow at %(time)s, %(place)s.")
            % {"title": clinic_text(appt.title), "time": f"{when:%H:%M}", "place": appt.location}
        ]
        if appt.needs_fasting:
            parts.append(_("You need to fast before this test."))
        if appt.prep:
            parts.append(_("Before it: %(prep)s") % {"prep": clinic_text(appt.prep)})
        yield PlannedReminder(
            key=f"appointment:{appt.id}:day-before",
            due_at=local(when.date() - timedelta(days=1), APPOINTMENT_DAY_BEFORE, facts.zone),
            subject=_("Tomorrow: %(title)s") % {"title": clinic_text(appt.title)},
            body=" ".join(parts),
            channel=facts.channel,
            deadline=appt.starts_at,
        )


def _therapy_reminders(facts):
    """Two reminders before each session, by the clinic's lead times (real hours)."""
    sessions = [appt for appt in facts.appointments if appt.kind == THERAPY]
    if not sessions:
        return
    # Translated once a journey, not twice for each of its sessions' reminders.
    subject = _("Physical therapy on %(day)s at %(time)s")
    body = _("Your physical therapy session is on %(day)s at %(time)s, %(place)s.")
    for appt in sessions:
        when = appt.starts_at.astimezone(facts.zone)
        text = {"day": day_label(when.date()), "time": f"{when:%H:%M}", "place": appt.location}
        for name, lead in zip(("first", "second"), facts.therapy_leads, strict=False):
            if lead <= timedelta(0):
                continue  # the clinic switched this one off
            yield PlannedReminder(
                key=f"therapy:{appt.id}:{name}",
                due_at=before(appt.starts_at, lead),
                subject=subject % text,
                body=body % text,
                channel=facts.channel,
                # The last call before a session is worthless once moved past quiet hours.
                urgent=name == "second",
                deadline=appt.starts_at,
            )


def arrival_at(facts):
    return before(facts.surgery_at, facts.arrival_lead)


def _arrival_reminders(facts):
    if facts.surgery_at is None:
        return
    surgery_day = facts.surgery_at.astimezone(facts.zone).date()
    yield PlannedReminder(
        key="surgery:arrival",
        due_at=local(surgery_day - timedelta(days=1), ARRIVAL_DAY_BEFORE, facts.zone),
        subject=_("Your surgery is tomorrow"),
        body=_("Your surgery is tomorrow, %(day)s. Please arrive at %(time)s at %(place)s.")
        % {
            "day": day_label(surgery_day),
            "time": time_label(arrival_at(facts), facts.zone),
            "place": facts.surgery_place or facts.clinic_name,
        },
        channel=facts.channel,
        urgent=True,
        deadline=facts.surgery_at,
    )


def fasting_cutoff(rule, facts):
    """The instant the patient must stop, in UTC."""
    if rule.anchor == SURGERY:
        anchor = facts.surgery_at
    elif rule.anchor == MIDNIGHT:
        anchor = local(facts.surgery_at.astimezone(facts.zone).date(), time(0, 0), facts.zone)
    else:
        anchor = arrival_at(facts)
    return before(anchor, timedelta(hours=rule.hours_before))


def _evening_before(cutoff, zone):
    """The latest 18:00 (local) at least EVENING_MARGIN before `cutoff`."""
    cutoff_local = cutoff.astimezone(zone)
    evening = local(cutoff_local.date(), EVENING, zone)
    if evening > before(cutoff, EVENING_MARGIN):
        evening = local(cutoff_local.date() - timedelta(days=1), EVENING, zone)
    return evening


def _fasting_due(rule, cutoff, zone):
    """Clear liquids: the morning of, an hour before the cut-off, unless that is
    before 06:00; then (and for every other rule) the evening before."""
    if rule.kind == CLEAR_LIQUIDS:
        morning = before(cutoff, CLEAR_LIQUIDS_NOTICE).astimezone(zone)
        if (
            morning.date() == cutoff.astimezone(zone).date()
            and morning.time().replace(tzinfo=None) >= MORNING_EARLIEST
        ):
            return morning
    return _evening_before(cutoff, zone)


FASTING_KEYS = {SOLIDS: "fasting:solids", CLEAR_LIQUIDS: "fasting:clear-liquids"}


def _fasting_subject(kind):
    if kind == SOLIDS:
        return _("Before your surgery: when to stop eating")
    if kind == CLEAR_LIQUIDS:
        return _("Before your surgery: when to stop drinking")
    return _("Before your surgery: fasting")


def _fasting_reminders(facts):
    if facts.surgery_at is None:
        return
    for rule in facts.fasting_rules:
        cutoff = fasting_cutoff(rule, facts)
        body = _("%(instruction)s after %(time)s on %(day)s.") % {
            "instruction": clinic_text(rule.instruction).rstrip(". "),
            "time": time_label(cutoff, facts.zone),
            "day": day_label(cutoff.astimezone(facts.zone).date()),
        }
        yield PlannedReminder(
            key=FASTING_KEYS.get(rule.kind, f"fasting:custom:{rule.id}"),
            due_at=_fasting_due(rule, cutoff, facts.zone),
            subject=_fasting_subject(rule.kind),
            body=_join(body, clinic_text(rule.details)),
            channel=facts.channel,
            urgent=True,
            deadline=cutoff,
        )


def _join(*parts):
    return " ".join(p.strip() for p in parts if p and p.strip())


@dataclass(frozen=True)
class HoldWindow:
    """When a held medicine stops. Day holds: `stop_day` is the first day without it.
    Hour holds: `cutoff` is the instant of the last allowed dose."""

    stop_day: date | None = None
    cutoff: datetime | None = None

    @property
    def last_day(self):
        return self.stop_day - timedelta(days=1) if self.stop_day else None

    def known_too_late(self, known_at, zone):
        """Learnt after the stop day (or the last-dose hour): the hold is already short."""
        if self.cutoff is not None:
            return known_at >= self.cutoff
        return known_at.astimezone(zone).date() > self.stop_day


def hold_window(med, surgery_at, zone):
    """The hold a scheduled stop implies for a surgery; None when nothing is stopped."""
    if med.policy != AUTO or surgery_at is None:
        return None
    if med.hold_hours is not None:
        return HoldWindow(cutoff=before(surgery_at, timedelta(hours=med.hold_hours)))
    if med.hold_days is not None:
        surgery_day = surgery_at.astimezone(zone).date()
        return HoldWindow(stop_day=surgery_day - timedelta(days=med.hold_days))
    return None


def _medication_reminders(facts):
    if facts.surgery_at is None:
        return
    for med in facts.medications:
        if med.policy == PRESCRIBER:
            yield _ask_prescriber(med, facts)
            continue
        window = hold_window(med, facts.surgery_at, facts.zone)
        if window is None:
            continue
        if window.cutoff is not None:
            stop = _hour_hold_stop(med, window, facts)
        else:
            stop = _day_hold_stop(med, window, facts)
        heads_up = _heads_up(med, window, stop, facts)
        if heads_up is not None:
            yield heads_up
        yield stop


def _med_text(med, window, facts):
    zone = facts.zone
    surgery_day = day_label(facts.surgery_at.astimezone(zone).date())
    text = {"name": clinic_text(med.name), "surgery_day": surgery_day}
    if window is not None and window.stop_day is not None:
        text.update(stop=day_label(window.stop_day), last=day_label(window.last_day))
    if window is not None and window.cutoff is not None:
        cutoff = window.cutoff.astimezone(zone)
        text.update(time=f"{cutoff:%H:%M}", day=day_label(cutoff.date()))
    return text


def _ask_prescriber(med, facts):
    surgery_day = facts.surgery_at.astimezone(facts.zone).date()
    planned = local(surgery_day - timedelta(days=ASK_PRESCRIBER_DAYS), HEADS_UP_AT, facts.zone)
    text = _med_text(med, None, facts)
    return PlannedReminder(
        key=f"med:{med.id}:ask-prescriber",
        due_at=max(planned, med.known_at),
        subject=_("Ask your prescriber before stopping %(name)s") % text,
        body=_join(
            _(
                "Ask your prescriber before stopping %(name)s for your surgery on "
                "%(surgery_day)s. Do not stop it unless they tell you to."
            )
            % text,
            clinic_text(med.note),
        ),
        channel=facts.channel,
        deadline=facts.surgery_at,
    )


def _day_hold_stop(med, window, facts):
    text = _med_text(med, window, facts)
    if med.hold_days == 0:
        # Held on the day of surgery only: say so the evening before.
        scheduled = local(window.last_day, EVENING, facts.zone)
        subject = _("Tomorrow: do not take %(name)s") % text
        body = _("Do not take %(name)s on the day of your surgery, %(surgery_day)s.") % text
    else:
        scheduled = local(window.stop_day, STOP_MORNING, facts.zone)
        subject = _("Today: stop %(name)s") % text
        body = (
            _(
                "Your last dose of %(name)s was on %(last)s. "
                "Do not take it from today, %(stop)s, until your care team says so."
            )
            % text
        )
    due = max(scheduled, med.known_at)
    if window.known_too_late(med.known_at, facts.zone):
        # Learnt after the stop day: stop now, and talk to the care team.
        subject = _("Stop %(name)s now") % text
        body = (
            _(
                "Do not take %(name)s from now on, until your care team says so. "
                "It should have stopped on %(stop)s, so please call your care team today."
            )
            % text
        )
    return _stop_reminder(med, due, subject, body, facts)


def _hour_hold_stop(med, window, facts):
    text = _med_text(med, window, facts)
    scheduled = before(window.cutoff, HOUR_HOLD_NOTICE)
    subject = _("Last dose of %(name)s before %(time)s") % text
    body = (
        _(
            "Take your last dose of %(name)s before %(time)s on %(day)s. "
            "Do not take it after that until your care team says so."
        )
        % text
    )
    due = max(scheduled, med.known_at)
    if window.known_too_late(med.known_at, facts.zone):
        subject = _("Stop %(name)s now") % text
        body = (
            _(
                "Do not take %(name)s from now on, until your care team says so. "
                "The last dose should have been before %(time)s on %(day)s, "
                "so please call your care team today."
            )
            % text
        )
    return _stop_reminder(med, due, subject, body, facts)


def _stop_reminder(med, due, subject, body, facts):
    restart = clinic_text(med.restart)
    restart = _("After surgery: %(restart)s") % {"restart": restart} if restart else ""
    return PlannedReminder(
        key=f"med:{med.id}:stop",
        due_at=due,
        subject=subject,
        body=_join(body, restart, clinic_text(med.note)),
        channel=facts.channel,
        urgent=True,
        deadline=facts.surgery_at,
    )


def _heads_up(med, window, stop, facts):
    if med.heads_up_days <= 0:
        return None
    first_day = window.stop_day or window.cutoff.astimezone(facts.zone).date()
    planned = local(first_day - timedelta(days=med.heads_up_days), HEADS_UP_AT, facts.zone)
    due = max(planned, med.known_at)
    if due > before(stop.due_at, MIN_HEADS_UP_NOTICE):
        return None
    text = _med_text(med, window, facts)
    if window.cutoff is not None:
        subject = _("Coming up: last dose of %(name)s on %(day)s") % text
        body = (
            _(
                "Take your last dose of %(name)s before %(time)s on %(day)s. "
                "Do not take it after that until your care team says so."
            )
            % text
        )
    else:
        subject = _("Coming up: stop %(name)s on %(stop)s") % text
        body = (
            _(
                "Take your last dose of %(name)s on %(last)s. "
                "Do not take it from %(stop)s until your care team says so."
            )
            % text
        )
    return PlannedReminder(
        key=f"med:{med.id}:heads-up",
        due_at=due,
        subject=subject,
        body=_join(body, clinic_text(med.note)),
        channel=facts.channel,
        deadline=facts.surgery_at,
    )
