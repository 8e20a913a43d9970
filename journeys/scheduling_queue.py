"""What the coordinator must book or chase next, across the clinic's open journeys.

Three queries whatever the number of patients: the journeys, their required tests,
their pre-op test appointments. The gate itself is journeys/readiness.py's, run on
the rows already loaded.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.models import Appointment, AppointmentKind, AppointmentStatus, Journey, PreopResult
from journeys.readiness import missing_tests

OPEN = ("active", "on_hold")
SOON = timedelta(days=14)
# The order a coordinator works the list in, most urgent first.
BOOK, RESULT, LAPSES, NOT_READY = "book", "result", "lapses", "not_ready"
URGENCY = {NOT_READY: 0, BOOK: 1, RESULT: 2, LAPSES: 3}


@dataclass(frozen=True)
class Task:
    kind: str
    journey: Journey
    text: str
    since: datetime | None = None


def _journeys(user):
    tests = Appointment.objects.filter(kind=AppointmentKind.PREOP_TEST).exclude(
        status=AppointmentStatus.CANCELLED
    )
    return (
        Journey.objects.visible_to(user)
        .filter(status__in=OPEN)
        .select_related("patient", "clinic")
        .prefetch_related(
            "required_tests",
            Prefetch("appointments", queryset=tests.select_related("test_type"), to_attr="tests"),
        )
        .order_by("surgery_at", "id")
    )


def _journey_tasks(journey, now):
    required = list(journey.required_tests.all())
    booked = {a.test_type_id for a in journey.tests}
    for test in required:
        if test.pk not in booked:
            yield Task(BOOK, journey, _("Book %(test)s") % {"test": test.name})
    for test in journey.tests:
        if test.result in ("", PreopResult.PENDING) and test.ends_at < now:
            yield Task(
                RESULT,
                journey,
                _("%(test)s: result still pending") % {"test": test.title},
                since=test.starts_at,
            )
    yield from _lapsing(journey, required)
    if journey.surgery_at is not None and now <= journey.surgery_at <= now + SOON:
        missing = missing_tests(journey, tests=required, appointments=journey.tests)
        if missing:
            yield Task(
                NOT_READY,
                journey,
                _("Surgery soon and not ready: %(tests)s")
                % {"tests": "; ".join(f"{m.name} ({m.reason})" for m in missing)},
                since=journey.surgery_at,
            )


def _lapsing(journey, required):
    if journey.surgery_at is None:
        return
    for test in required:
        cleared = [
            a.starts_at
            for a in journey.tests
            if a.test_type_id == test.pk and a.result == PreopResult.CLEARED
        ]
        if not cleared:
            continue
        lapses = max(cleared) + timedelta(days=test.validity_days)
        if lapses < journey.surgery_at:
            yield Task(
                LAPSES,
                journey,
                _("%(test)s lapses before the surgery; book it again") % {"test": test.name},
                since=lapses,
            )


def scheduling_tasks(user, *, now=None):
    """Every task for the journeys `user` may see, soonest surgery first."""
    now = now or timezone.now()
    tasks = [task for journey in _journeys(user) for task in _journey_tasks(journey, now)]
    # Journeys come ordered by surgery date; keep that order, most urgent kind first within.
    position = {}
    for task in tasks:
        position.setdefault(task.journey.pk, len(position))
    return sorted(tasks, key=lambda t: (position[t.journey.pk], URGENCY[t.kind]))
