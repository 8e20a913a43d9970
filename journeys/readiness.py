"""The readiness gate: is every required pre-op test cleared, and recent enough?"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _

from journeys.models import AppointmentKind, AppointmentStatus, PreopResult

# Why a test holds the gate, for code that sorts by it (the worklist's flags).
UNSCHEDULED, NO_RESULT, NEEDS_REVIEW, NO_SURGERY_DATE, EXPIRES = (
    "unscheduled",
    "no_result",
    "needs_review",
    "no_surgery_date",
    "expires",
)


@dataclass(frozen=True)
class MissingTest:
    name: str
    reason: str
    code: str = ""


def missing_tests(journey, *, tests=None, appointments=None):
    """The required tests not cleared within their validity window before surgery.

    `tests` and `appointments` may be passed in already loaded (pages that prefetch);
    otherwise they are queried.
    """
    if tests is None:
        tests = list(journey.required_tests.all())
    if appointments is None:
        appointments = list(
            journey.appointments.filter(kind=AppointmentKind.PREOP_TEST).exclude(
                status=AppointmentStatus.CANCELLED
            )
        )
    by_test = {}
    for appointment in appointments:
        if appointment.kind == AppointmentKind.PREOP_TEST and appointment.test_type_id:
            by_test.setdefault(appointment.test_type_id, []).append(appointment)
    return [
        missing
        for test in tests
        if (missing := _check_test(test, by_test.get(test.pk, []), journey.surgery_at))
    ]


def _check_test(test, appointments, surgery_at):
    live = [a for a in appointments if a.status != AppointmentStatus.CANCELLED]
    if not live:
        return MissingTest(test.name, _("not scheduled"), UNSCHEDULED)
    cleared = [a for a in live if a.result == PreopResult.CLEARED]
    if not cleared:
        if any(a.result == PreopResult.NEEDS_REVIEW for a in live):
            return MissingTest(test.name, _("result needs review"), NEEDS_REVIEW)
        return MissingTest(test.name, _("no result yet"), NO_RESULT)
    if surgery_at is None:
        return MissingTest(
            test.name, _("no surgery date to check its validity against"), NO_SURGERY_DATE
        )
    newest = max(a.starts_at for a in cleared)
    if newest + timedelta(days=test.validity_days) < surgery_at:
        return MissingTest(
            test.name,
            _("result expires before surgery (valid %(days)s days)") % {"days": test.validity_days},
            EXPIRES,
        )
    return None
