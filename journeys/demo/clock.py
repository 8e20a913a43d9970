"""When things happened in the demo: the moment of seeding and the times derived from it.

Times are wall-clock times in the clinic's zone, and none is in the future: a patient
on surgery day seeded early in the morning has an earlier surgery, or fewer steps done.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from journeys.models import Clinic, Location, Step, User

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
    would still end in the future are left open (see care.advance).
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


def therapy_days(procedure, surgery_day):
    """The plan's session days: n a week on fixed weekdays, from the starting week."""
    first = surgery_day + timedelta(weeks=procedure.therapy_starts_week)
    per_week = procedure.therapy_sessions_per_week
    weekdays = THERAPY_DAYS.get(per_week, tuple(range(per_week)))  # 6 or 7: weekends too
    for week in range(procedure.therapy_weeks):
        start = first + timedelta(weeks=week)
        week_days = (start + timedelta(days=n) for n in range(7))
        yield from sorted(day for day in week_days if day.weekday() in weekdays)
