"""Enrolling a patient, and the facts of a journey that move its dates.

`journey_enroll` copies a procedure template into the patient's own rows. Every
function here validates first, writes inside one transaction, and re-plans the
journey's reminders, so a changed fact is never half-applied.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.audit import audit_record
from journeys.models import (
    Anchor,
    ChecklistItem,
    Journey,
    JourneyStatus,
    Owner,
    ProcedureStep,
    Stage,
    StageStatus,
)
from journeys.reconcile import reminders_reconcile


def _validate_surgery_at(surgery_at):
    if surgery_at is not None and surgery_at <= timezone.now():
        raise ValidationError(_("The surgery date must be in the future."), code="surgery_past")


def _ensure_writable(journey):
    if journey.is_read_only:
        raise ValidationError(
            _("This journey is %(status)s and can no longer be changed.")
            % {"status": journey.get_status_display().lower()},
            code="read_only",
        )


def due_date_for(item, *, journey, stage):
    """The calendar day, in the clinic's zone, an item is due; None until its anchor is known."""
    zone = journey.clinic.zone
    anchor = journey.surgery_at if item.anchor == Anchor.SURGERY else stage.started_at
    if anchor is None:
        return None
    return anchor.astimezone(zone).date() + timedelta(days=item.offset_days)


@transaction.atomic
def journey_enroll(*, patient, procedure, by, surgery_at=None, surgeon=None, location=None):
    """Copy `procedure` into a new journey for `patient`; the first stage starts at once."""
    _validate_surgery_at(surgery_at)
    if procedure.clinic_id != patient.clinic_id:
        raise ValidationError(_("The procedure belongs to another clinic."), code="clinic")
    now = timezone.now()
    journey = Journey(
        patient=patient,
        clinic=procedure.clinic,
        procedure=procedure,
        procedure_name=procedure.name,
        surgeon=surgeon,
        surgery_at=surgery_at,
        surgery_location=location,
        enrolled_at=now,
    )
    journey.full_clean()
    journey.save()
    journey.required_tests.set(procedure.required_tests.all())

    steps = ProcedureStep.objects.filter(procedure=procedure).prefetch_related("checklist_items")
    stages, items = [], []
    for index, step in enumerate(steps):
        stage = Stage(
            journey=journey,
            step=step.step,
            position=step.position,
            title=step.title,
            explanation=step.explanation,
            # The first step is under way the moment the patient is enrolled.
            status=StageStatus.ACTIVE if index == 0 else StageStatus.PENDING,
            started_at=now if index == 0 else None,
        )
        stages.append(stage)
        for template in step.checklist_items.all():
            items.append((stage, template))
    Stage.objects.bulk_create(stages)
    current_steps_refresh([journey.pk])
    journey.refresh_from_db(fields=["current_step"])
    today = now.astimezone(journey.clinic.zone).date()
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            journey=journey,
            stage=stage,
            text=template.text,
            owner=template.owner,
            anchor=template.anchor,
            offset_days=template.offset_days,
            required=template.required,
            # An item whose offset falls before enrolment is due at once, not lost.
            due_date=_not_before(due_date_for(template, journey=journey, stage=stage), today),
        )
        for stage, template in items
    )
    audit_record(actor=by, action="journey.enroll", patient=patient, obj=journey)
    reminders_reconcile(journey=journey)
    return journey


def _not_before(day, floor):
    return max(day, floor) if day is not None else None


def current_steps_refresh(journey_ids):
    """Copy each journey's first stage not done or skipped onto Journey.current_step.

    Called wherever stages are written (enrolment, bulk seeding, every transition), in
    the same transaction, so the worklist's step filter always agrees with the stages.
    """
    Journey.objects.filter(pk__in=journey_ids).update(
        current_step=Coalesce(current_stage_field("step"), Value(""))
    )


def current_stage_field(name):
    """A field of each journey's first stage not done or skipped, as a subquery."""
    first_open = (
        Stage.objects.filter(journey=OuterRef("pk"))
        .exclude(status__in=[StageStatus.DONE, StageStatus.SKIPPED])
        .order_by("position")
    )
    return Subquery(first_open.values(name)[:1])


def recompute_due_dates(journey):
    """Re-derive every open item's due date from its anchor, after a date moved."""
    today = journey.enrolled_at.astimezone(journey.clinic.zone).date()
    items = list(
        ChecklistItem.objects.filter(journey=journey, done_at__isnull=True).select_related("stage")
    )
    for item in items:
        item.due_date = _not_before(due_date_for(item, journey=journey, stage=item.stage), today)
    ChecklistItem.objects.bulk_update(items, ["due_date"])


@transaction.atomic
def journey_set_surgery(*, journey, surgery_at, by, location=None, request=None):
    _ensure_writable(journey)
    _validate_surgery_at(surgery_at)
    previous = journey.surgery_at
    journey.surgery_at = surgery_at
    if location is not None:
        journey.surgery_location = location
    journey.save(update_fields=["surgery_at", "surgery_location"])
    recompute_due_dates(journey)
    audit_record(
        actor=by,
        action="journey.surgery_moved" if previous else "journey.surgery_set",
        patient=journey.patient,
        obj=journey,
        request=request,
        previous=previous.isoformat() if previous else None,
        surgery_at=surgery_at.isoformat(),
    )
    reminders_reconcile(journey=journey)
    return journey


@transaction.atomic
def journey_set_status(*, journey, status, by, reason="", request=None):
    """Put a journey on hold, cancel it, resume it, or mark it completed."""
    _ensure_writable(journey)
    if status == journey.status:
        raise ValidationError(
            _("This journey is already %(status)s.")
            % {"status": journey.get_status_display().lower()},
            code="unchanged",
        )
    if status in (JourneyStatus.ON_HOLD, JourneyStatus.CANCELLED) and not reason.strip():
        raise ValidationError(_("Please give a reason."), code="reason_required")
    if status == JourneyStatus.COMPLETED:
        _check_every_step_finished(journey)
    journey.status = status
    journey.status_reason = reason.strip()
    journey.save(update_fields=["status", "status_reason"])
    audit_record(
        actor=by,
        action="journey.status",
        patient=journey.patient,
        obj=journey,
        request=request,
        status=status,
        reason=journey.status_reason,
    )
    reminders_reconcile(journey=journey)
    return journey


def _check_every_step_finished(journey):
    unfinished = journey.stages.exclude(status__in=[StageStatus.DONE, StageStatus.SKIPPED])
    titles = list(unfinished.values_list("title", flat=True))
    if titles:
        raise ValidationError(
            _("The journey cannot be completed while steps are open: %(steps)s.")
            % {"steps": ", ".join(titles)},
            code="steps_open",
        )


@transaction.atomic
def checklist_item_add(
    *,
    journey,
    stage,
    text,
    by,
    owner=Owner.PATIENT,
    anchor=Anchor.SURGERY,
    offset_days=0,
    required=True,
    request=None,
):
    _ensure_writable(journey)
    if stage.journey_id != journey.pk:
        raise ValidationError(_("That step is not part of this journey."), code="stage")
    item = ChecklistItem(
        journey=journey,
        stage=stage,
        text=text.strip(),
        owner=owner,
        anchor=anchor,
        offset_days=offset_days,
        required=required,
    )
    item.due_date = due_date_for(item, journey=journey, stage=stage)
    enrolled_on = journey.enrolled_at.astimezone(journey.clinic.zone).date()
    if item.due_date is not None and item.due_date < enrolled_on:
        raise ValidationError(
            _("That offset puts the due date (%(due)s) before the patient was enrolled.")
            % {"due": item.due_date.isoformat()},
            code="before_enrolment",
        )
    item.full_clean()
    item.save()
    audit_record(
        actor=by,
        action="checklist.add",
        patient=journey.patient,
        obj=item,
        request=request,
        text=item.text,
    )
    reminders_reconcile(journey=journey)
    return item


@transaction.atomic
def checklist_item_remove(*, item, by, request=None):
    _ensure_writable(item.journey)
    audit_record(
        actor=by,
        action="checklist.remove",
        patient=item.journey.patient,
        obj=item,
        request=request,
        text=item.text,
    )
    item.delete()
    reminders_reconcile(journey=item.journey)


@transaction.atomic
def checklist_item_set_done(*, item, done, by, request=None):
    """Tick or un-tick an item. The caller has checked `by` may tick this item's owner."""
    _ensure_writable(item.journey)
    if done == item.is_done:
        return item
    item.done_at = timezone.now() if done else None
    item.done_by = by if done else None
    item.save(update_fields=["done_at", "done_by"])
    audit_record(
        actor=by,
        action="checklist.tick" if done else "checklist.untick",
        patient=item.journey.patient,
        obj=item,
        request=request,
    )
    reminders_reconcile(journey=item.journey)
    return item
