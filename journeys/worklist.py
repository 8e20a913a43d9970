"""The care team's worklist: the clinic's open journeys with what needs attention.

A page or an export costs the same few queries for 10 patients or 10,000. The list
annotates only what its filter and sort need (`worklist_journeys`); a page then reads
its rows' flags with a few plain queries for those rows only (`page_with_flags`), and
the export, which shows every row, annotates every flag as Exists / Subquery
(`with_flags`). The pre-op flags follow journeys/readiness.py; tests/test_worklist.py
checks that all three agree.
"""

from collections import namedtuple
from datetime import datetime, time, timedelta

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from journeys import readiness
from journeys.enrolment import current_stage_field
from journeys.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ChecklistItem,
    Journey,
    JourneyStatus,
    PreopResult,
    PreopTestType,
    Reminder,
    ReminderStatus,
    Stage,
    StageStatus,
    Step,
)
from journeys.page_text import PageDates, url_format
from journeys.readiness import missing_tests

OPEN = (JourneyStatus.ACTIVE, JourneyStatus.ON_HOLD)

FLAGS = {
    "overdue": _("Overdue checklist items"),
    "tests_unscheduled": _("Pre-op tests not scheduled"),
    "tests_uncleared": _("Pre-op tests not cleared"),
    "failed_reminders": _("Failed reminders"),
    "gate_blocked": _("Readiness gate blocked"),
    "gate_open": _("Readiness gate open"),
}
PREOP_FLAGS = {"tests_unscheduled", "tests_uncleared", "gate_blocked", "gate_open"}

# The only orderings a URL may ask for; anything else falls back to the first.
SORTS = {
    "surgery": (_("Surgery date"), (F("surgery_at").asc(nulls_last=True), "id")),
    "-surgery": (_("Surgery date, latest first"), (F("surgery_at").desc(nulls_last=True), "id")),
    "name": (_("Name"), ("patient__full_name", "id")),
    "step": (_("Step"), (F("step_order").asc(nulls_last=True), "surgery_at", "id")),
}


def worklist_journeys(user, *, today, filters=None):
    """The open journeys `user` may see, filtered and sorted, without their flags.

    `today` is the clinic's date (overdue means due before it). `filters` is a
    WorklistFilterForm's cleaned_data, or None for everything. Only the annotations the
    filter and the sort use are computed here; `with_flags` adds the rest.
    """
    filters = filters or {}
    sort = filters.get("sort") or "surgery"
    journeys = Journey.objects.visible_to(user).filter(status__in=OPEN)
    if sort == "step":
        journeys = journeys.annotate(step_order=_step_order())
    journeys = journeys.filter(_filter_q(filters, user.clinic.zone))
    if flag := filters.get("flag"):
        validity = _validity_days(user) if flag in PREOP_FLAGS else []
        journeys = journeys.filter(_flag_condition(flag, today, validity))
    return journeys.select_related("patient", "surgeon").order_by(*SORTS[sort][1])


def with_flags(journeys, user, *, today):
    """`journeys` (a queryset) with every flag the worklist shows, in the same order."""
    flags = _flags(today, _validity_days(user))
    known = set(journeys.query.annotations)
    return journeys.annotate(**{k: v for k, v in flags.items() if k not in known})


# The fields a worklist row shows (templates/staff/worklist.html) and readiness reads.
ROW_FIELDS = (
    "status",
    "procedure_name",
    "surgery_at",
    "patient__full_name",
    "patient__date_of_birth",
    "surgeon__full_name",
)


def page_rows(journeys):
    """`journeys` (a worklist_journeys queryset) loading only what a row shows: building
    whole journeys and users cost more than reading them."""
    return journeys.only(*ROW_FIELDS)


def page_with_flags(journeys, *, today):
    """The journeys of one page (a list, in order) with their flags set on each.

    A few plain queries for these rows only, whatever the clinic's size, and the pre-op
    flags decided by journeys/readiness.py itself. The same flags as `with_flags`
    (tests/test_worklist.py checks they agree); annotating the page instead costs more
    to compile than to run.
    """
    ids = [journey.pk for journey in journeys]
    current = _current_stages(ids)
    overdue, failed = _counts(ids, today)
    tests, appointments = _preop(ids)
    for journey in journeys:
        pk = journey.pk
        stage = current.get(pk, {})
        journey.current_step = stage.get("step")
        journey.current_title = stage.get("title")
        journey.current_status = stage.get("status")
        journey.overdue_items = overdue.get(pk, 0)
        journey.failed_reminders = failed.get(pk, 0)
        reasons = {
            missing.code
            for missing in missing_tests(
                journey, tests=tests.get(pk, []), appointments=appointments.get(pk, [])
            )
        }
        journey.tests_unscheduled = readiness.UNSCHEDULED in reasons
        journey.tests_uncleared = bool(reasons & {readiness.NO_RESULT, readiness.NEEDS_REVIEW})
        journey.gate_blocked = bool(reasons)
    return journeys


def with_row_text(journeys):
    """Each row's link and dates as the page prints them, worked out once a page
    (journeys/page_text.py): a {% url %} and two date filters a row were half of
    rendering the rows."""
    link = url_format("journeys:staff-journey", 1)
    dates = PageDates()
    for journey in journeys:
        journey.url = link.format(journey.pk)
        journey.surgery_when = dates(journey.surgery_at, "D j M Y, H:i")
        journey.born = dates(journey.patient.date_of_birth, "Y-m-d")
    return journeys


def _current_stages(ids):
    """Each journey's first stage not done or skipped."""
    current = {}
    for stage in OPEN_STAGES.filter(journey_id__in=ids):
        current.setdefault(stage["journey_id"], stage)
    return current


def _counts(ids, today):
    """Overdue checklist items and failed reminders per journey, in one query."""
    overdue = OVERDUE_PER_JOURNEY.filter(journey_id__in=ids, due_date__lt=today)
    failed = FAILED_PER_JOURNEY.filter(journey_id__in=ids)
    counts = {"overdue": {}, "failed": {}}
    # order_by() on the union too, or the first model's Meta ordering applies to it.
    for row in overdue.union(failed, all=True).order_by():
        counts[row["kind"]][row["journey_id"]] = row["n"]
    return counts["overdue"], counts["failed"]


def _per_journey(rows, kind):
    return rows.annotate(kind=Value(kind)).values("journey_id", "kind").annotate(n=Count("pk"))


# What readiness.missing_tests reads of a test and of an appointment: plain tuples, as a
# page holds hundreds of them and model instances cost more than the queries.
_Test = namedtuple("_Test", "pk name validity_days")
_Booked = namedtuple("_Booked", "kind test_type_id status result starts_at")


# The rows page_with_flags reads, built once: resolving a queryset's fields and joins
# cost about as much as running it. Each page filters them to its rows (a clone).
OPEN_STAGES = (
    Stage.objects.exclude(status__in=[StageStatus.DONE, StageStatus.SKIPPED])
    .order_by("journey_id", "position")
    .values("journey_id", "step", "title", "status")
)
REQUIRED_TESTS = Journey.required_tests.through.objects.values_list(
    "journey_id", "preoptesttype_id", "preoptesttype__name", "preoptesttype__validity_days"
)
BOOKED_TESTS = (
    Appointment.objects.filter(kind=AppointmentKind.PREOP_TEST)
    .exclude(status=AppointmentStatus.CANCELLED)
    .order_by()
    .values_list("journey_id", *_Booked._fields)
)


# Overdue: open items of a stage not skipped, due before the clinic's today.
OPEN_ITEMS = ChecklistItem.objects.filter(done_at__isnull=True).exclude(
    stage__status=StageStatus.SKIPPED
)
FAILED_REMINDERS = Reminder.objects.filter(status=ReminderStatus.FAILED)
# Counted per journey, for _counts to filter to a page's rows (and a date: a filter
# on a row's own field after the count still goes to WHERE, before the grouping).
OVERDUE_PER_JOURNEY = _per_journey(OPEN_ITEMS, "overdue").order_by()
FAILED_PER_JOURNEY = _per_journey(FAILED_REMINDERS, "failed").order_by()


def _preop(ids):
    """Each journey's required tests and its pre-op appointments that still count."""
    tests, appointments = {}, {}
    for journey_id, *test in REQUIRED_TESTS.filter(journey_id__in=ids):
        tests.setdefault(journey_id, []).append(_Test(*test))
    for journey_id, *appointment in BOOKED_TESTS.filter(journey_id__in=ids):
        appointments.setdefault(journey_id, []).append(_Booked(*appointment))
    return tests, appointments


def _step_order():
    # The ten steps' own order: positions differ between procedures that skip a step.
    return Case(*(When(current_step=step, then=n) for n, step in enumerate(Step.values)))


def _count(queryset):
    # A correlated COUNT per journey; Coalesce turns "no rows" into 0.
    counted = queryset.order_by().values("journey").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _overdue_items(today):
    return OPEN_ITEMS.filter(due_date__lt=today)


def _preop_conditions(validity_days):
    """Exists() for each pre-op flag, as journeys/readiness.py decides them."""
    required = Journey.required_tests.through.objects.filter(journey_id=OuterRef("pk"))
    # A required test's appointments that still count: not cancelled (readiness.py).
    live = Appointment.objects.filter(
        journey_id=OuterRef("journey_id"),
        test_type_id=OuterRef("preoptesttype_id"),
        kind=AppointmentKind.PREOP_TEST,
    ).exclude(status=AppointmentStatus.CANCELLED)
    cleared = live.filter(result=PreopResult.CLEARED)
    return {
        "tests_unscheduled": Exists(required.filter(~Exists(live))),
        "tests_uncleared": Exists(required.filter(Exists(live), ~Exists(cleared))),
        "gate_blocked": Exists(required.filter(~Exists(cleared.filter(_valid(validity_days))))),
    }


def _flag_condition(flag, today, validity_days):
    """What a flag filter asks of a journey, as an expression `filter()` takes.

    Exists() rather than a count compared with zero: the database can stop at the
    first row, or turn it into one join over the clinic's journeys.
    """
    if flag == "overdue":
        return Exists(_overdue_items(today).filter(journey=OuterRef("pk")))
    if flag == "failed_reminders":
        return Exists(FAILED_REMINDERS.filter(journey=OuterRef("pk")))
    preop = _preop_conditions(validity_days)
    if flag == "gate_open":
        return ~preop["gate_blocked"]
    return preop[flag]


def _flags(today, validity_days):
    return {
        "current_title": current_stage_field("title"),
        "current_status": current_stage_field("status"),
        "overdue_items": _count(_overdue_items(today).filter(journey=OuterRef("pk"))),
        "failed_reminders": _count(FAILED_REMINDERS.filter(journey=OuterRef("pk"))),
        **_preop_conditions(validity_days),
    }


def _validity_days(user):
    """The distinct validity windows of the clinic's tests: one small query."""
    return sorted(
        set(
            PreopTestType.objects.filter(clinic_id=user.clinic_id).values_list(
                "validity_days", flat=True
            )
        )
    )


def _valid(validity_days):
    """A cleared result still valid on the surgery date: starts_at + validity ≥ surgery.

    Written as one clause per distinct window (a handful per clinic) because adding a
    column of days to a timestamp is spelled differently by each database; a journey
    with no surgery date compares with NULL and so is never valid, as in readiness.py.
    """
    clause = Q(pk__in=[])
    for days in validity_days:
        since = ExpressionWrapper(
            OuterRef(OuterRef("surgery_at")) - Value(timedelta(days=days)),
            output_field=DateTimeField(),
        )
        clause |= Q(test_type__validity_days=days, starts_at__gte=since)
    return clause


def _filter_q(filters, zone):
    q = Q()
    if filters.get("step"):
        q &= Q(current_step=filters["step"])
    if filters.get("surgeon"):
        q &= Q(surgeon=filters["surgeon"])
    # Dates are the clinic's days: from its midnight to the next.
    if filters.get("surgery_from"):
        q &= Q(surgery_at__gte=datetime.combine(filters["surgery_from"], time.min, tzinfo=zone))
    if filters.get("surgery_to"):
        end = filters["surgery_to"] + timedelta(days=1)
        q &= Q(surgery_at__lt=datetime.combine(end, time.min, tzinfo=zone))
    if filters.get("date_of_birth"):
        q &= Q(patient__date_of_birth=filters["date_of_birth"])
    if filters.get("name"):
        q &= Q(patient__full_name__icontains=filters["name"])
    return q
