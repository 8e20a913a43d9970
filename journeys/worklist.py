"""The care team's worklist: the clinic's open journeys with what needs attention.

Every flag is an annotation on the one journey query (Exists / Subquery), so a page of
the worklist, or an export of all of it, costs the same few queries for 10 patients or
2,000. The pre-op flags follow journeys/readiness.py; tests/test_worklist.py checks
that the two agree.
"""

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

OPEN = (JourneyStatus.ACTIVE, JourneyStatus.ON_HOLD)

FLAGS = {
    "overdue": (_("Overdue checklist items"), Q(overdue_items__gt=0)),
    "tests_unscheduled": (_("Pre-op tests not scheduled"), Q(tests_unscheduled=True)),
    "tests_uncleared": (_("Pre-op tests not cleared"), Q(tests_uncleared=True)),
    "failed_reminders": (_("Failed reminders"), Q(failed_reminders__gt=0)),
    "gate_blocked": (_("Readiness gate blocked"), Q(gate_blocked=True)),
    "gate_open": (_("Readiness gate open"), Q(gate_blocked=False)),
}

# The only orderings a URL may ask for; anything else falls back to the first.
SORTS = {
    "surgery": (_("Surgery date"), (F("surgery_at").asc(nulls_last=True), "id")),
    "-surgery": (_("Surgery date, latest first"), (F("surgery_at").desc(nulls_last=True), "id")),
    "name": (_("Name"), ("patient__full_name", "id")),
    "step": (_("Step"), (F("step_order").asc(nulls_last=True), "surgery_at", "id")),
}


def worklist_journeys(user, *, today, filters=None):
    """The open journeys `user` may see, annotated with their flags, filtered and sorted.

    `today` is the clinic's date (overdue means due before it). `filters` is a
    WorklistFilterForm's cleaned_data, or None for everything.
    """
    journeys = (
        Journey.objects.visible_to(user)
        .filter(status__in=OPEN)
        .select_related("patient", "surgeon")
        .annotate(**_flags(today, _validity_days(user)))
    )
    # The ten steps' own order: positions differ between procedures that skip a step.
    journeys = journeys.annotate(
        step_order=Case(*(When(current_step=step, then=n) for n, step in enumerate(Step.values)))
    )
    filters = filters or {}
    journeys = journeys.filter(_filter_q(filters, user.clinic.zone))
    return journeys.order_by(*SORTS[filters.get("sort") or "surgery"][1])


def _current_stage():
    return Stage.objects.filter(journey=OuterRef("pk")).exclude(
        status__in=[StageStatus.DONE, StageStatus.SKIPPED]
    )


def _count(queryset):
    # A correlated COUNT per journey; Coalesce turns "no rows" into 0.
    counted = queryset.order_by().values("journey").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _flags(today, validity_days):
    current = _current_stage().order_by("position")
    required = Journey.required_tests.through.objects.filter(journey_id=OuterRef("pk"))
    # A required test's appointments that still count: not cancelled (readiness.py).
    live = Appointment.objects.filter(
        journey_id=OuterRef("journey_id"),
        test_type_id=OuterRef("preoptesttype_id"),
        kind=AppointmentKind.PREOP_TEST,
    ).exclude(status=AppointmentStatus.CANCELLED)
    cleared = live.filter(result=PreopResult.CLEARED)
    return {
        "current_step": Subquery(current.values("step")[:1]),
        "current_title": Subquery(current.values("title")[:1]),
        "current_status": Subquery(current.values("status")[:1]),
        "overdue_items": _count(
            ChecklistItem.objects.filter(
                journey=OuterRef("pk"), done_at__isnull=True, due_date__lt=today
            ).exclude(stage__status=StageStatus.SKIPPED)
        ),
        "failed_reminders": _count(
            Reminder.objects.filter(journey=OuterRef("pk"), status=ReminderStatus.FAILED)
        ),
        "tests_unscheduled": Exists(required.filter(~Exists(live))),
        "tests_uncleared": Exists(required.filter(Exists(live), ~Exists(cleared))),
        "gate_blocked": Exists(required.filter(~Exists(cleared.filter(_valid(validity_days))))),
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
    if filters.get("flag"):
        q &= FLAGS[filters["flag"]][1]
    if filters.get("date_of_birth"):
        q &= Q(patient__date_of_birth=filters["date_of_birth"])
    if filters.get("name"):
        q &= Q(patient__full_name__icontains=filters["name"])
    return q
