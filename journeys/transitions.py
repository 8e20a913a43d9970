"""Stage transitions: the only code that writes a stage's status.

`stage_transition` checks the move is allowed, records who/when/why as a StageEvent,
re-plans reminders and writes the audit trail. The named verbs below are what views
call.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.access import is_care_team
from journeys.audit import audit_record
from journeys.enrolment import current_steps_refresh, recompute_due_dates
from journeys.models import Stage, StageEvent, StageStatus, Step
from journeys.readiness import missing_tests
from journeys.reconcile import reminders_reconcile

S = StageStatus

# (from, to) -> whether a reason is required.
ALLOWED = {
    (S.PENDING, S.ACTIVE): False,
    (S.PENDING, S.SKIPPED): False,
    (S.ACTIVE, S.DONE): False,
    (S.ACTIVE, S.BLOCKED): True,
    (S.BLOCKED, S.ACTIVE): False,
    (S.DONE, S.ACTIVE): True,  # Reopening finished work needs a reason.
    (S.SKIPPED, S.ACTIVE): True,
}


@transaction.atomic
def stage_transition(*, stage, to, by, reason="", at=None, expected_version=None, request=None):
    """Move `stage` to status `to`, or raise ValidationError saying why not."""
    if not is_care_team(by):
        raise ValidationError(_("Only the care team can change a step."), code="forbidden")
    # Lock the row so two nurses pressing at once serialise here (PostgreSQL).
    stage = (
        Stage.objects.select_for_update(of=("self",))
        .select_related("journey__clinic")
        .get(pk=stage.pk)
    )
    journey = stage.journey
    if journey.is_read_only:
        raise ValidationError(_("This journey is closed and can no longer be changed."))
    if expected_version is not None and expected_version != stage.version:
        raise ValidationError(_stale_message(stage), code="stale")
    reason = reason.strip()
    _check_allowed(stage, to, reason)
    now = timezone.now()
    at = _check_time(stage, at or now, now)
    if to == S.DONE and stage.step == Step.PREPARATION:
        _check_ready(journey)

    previous = stage.status
    stage.status = to
    stage.version += 1
    stage.blocked_reason = reason if to == S.BLOCKED else ""
    if to == S.ACTIVE and previous == S.PENDING:
        stage.started_at = at
    if to == S.DONE:
        stage.completed_at = at
    if previous == S.DONE:
        stage.completed_at = None
    stage.save(update_fields=["status", "version", "blocked_reason", "started_at", "completed_at"])
    current_steps_refresh([journey.pk])
    StageEvent.objects.create(
        stage=stage, from_status=previous, to_status=to, by=by, at=at, note=reason
    )
    audit_record(
        actor=by,
        action="stage.transition",
        patient=journey.patient,
        obj=stage,
        request=request,
        step=stage.step,
        from_status=previous,
        to_status=to,
        reason=reason,
    )
    if to == S.ACTIVE and previous == S.PENDING:
        recompute_due_dates(journey)
    if to == S.DONE:
        _start_next(stage, by=by, at=at, request=request)
    reminders_reconcile(journey=journey)
    return stage


def _stale_message(stage):
    """Who changed the step since the form was drawn, so nobody overwrites it unknowingly."""
    last = stage.events.select_related("by").order_by("-at", "-id").first()
    if last is None:
        return _(
            "“%(step)s” was changed after you opened this page; here is its current state."
        ) % {"step": stage.title}
    return _(
        "“%(step)s” was changed by %(who)s at %(time)s after you opened this page; nothing was "
        "saved. Here is its current state: %(status)s."
    ) % {
        "step": stage.title,
        "who": last.by or _("the system"),
        "time": f"{last.at.astimezone(stage.journey.clinic.zone):%H:%M}",
        "status": stage.get_status_display().lower(),
    }


def _check_allowed(stage, to, reason):
    if to not in S.values:
        raise ValidationError(_("Unknown status “%(to)s”.") % {"to": to}, code="unknown")
    if stage.status == to:
        raise ValidationError(
            _("“%(step)s” is already %(status)s.")
            % {"step": stage.title, "status": stage.get_status_display().lower()},
            code="unchanged",
        )
    needs_reason = ALLOWED.get((stage.status, to))
    if needs_reason is None:
        raise ValidationError(
            _("“%(step)s” cannot go from %(from)s to %(to)s.")
            % {
                "step": stage.title,
                "from": stage.get_status_display().lower(),
                "to": S(to).label.lower(),
            },
            code="not_allowed",
        )
    if needs_reason and not reason:
        raise ValidationError(_("Please give a reason."), code="reason_required")


def _check_time(stage, at, now):
    if at > now + timedelta(minutes=1):
        raise ValidationError(_("That time is in the future."), code="future")
    last = stage.events.order_by("-at").values_list("at", flat=True).first()
    floor = max((t for t in (last, stage.started_at) if t is not None), default=None)
    if floor is not None and at < floor:
        raise ValidationError(_("That time is before this step's last change."), code="before_last")
    # Steps happen in order: a step cannot start before the one before it finished.
    earlier = (
        Stage.objects.filter(journey_id=stage.journey_id, position__lt=stage.position)
        .exclude(completed_at=None)
        .order_by("-completed_at")
        .values_list("completed_at", flat=True)
        .first()
    )
    floor = max(t for t in (earlier, stage.journey.enrolled_at) if t is not None)
    if at < floor:
        raise ValidationError(
            _("That time is before the previous step was finished."), code="before_previous"
        )
    return at


def _check_ready(journey):
    missing = missing_tests(journey)
    if missing:
        raise ValidationError(
            _("Preparation cannot be completed yet. Missing: %(tests)s.")
            % {"tests": "; ".join(f"{m.name} ({m.reason})" for m in missing)},
            code="not_ready",
        )


def _start_next(stage, *, by, at, request):
    """Completing a step starts the next one, so the patient always has a current step."""
    following = (
        Stage.objects.filter(journey_id=stage.journey_id, position__gt=stage.position)
        .exclude(status__in=[S.DONE, S.SKIPPED])
        .order_by("position")
        .first()
    )
    if following is None or following.status != S.PENDING:
        return
    # Anesthesia starts in theatre, not when preparation is signed off days before:
    # staff start the first surgery-day step live, with the time it happened.
    if following.is_surgery_day and not stage.is_surgery_day:
        return
    stage_transition(stage=following, to=S.ACTIVE, by=by, at=at, request=request)


def stage_start(*, stage, by, **kwargs):
    return stage_transition(stage=stage, to=S.ACTIVE, by=by, **kwargs)


def stage_complete(*, stage, by, **kwargs):
    return stage_transition(stage=stage, to=S.DONE, by=by, **kwargs)


def stage_skip(*, stage, by, **kwargs):
    return stage_transition(stage=stage, to=S.SKIPPED, by=by, **kwargs)


def stage_block(*, stage, by, reason, **kwargs):
    return stage_transition(stage=stage, to=S.BLOCKED, by=by, reason=reason, **kwargs)


def stage_unblock(*, stage, by, **kwargs):
    return stage_transition(stage=stage, to=S.ACTIVE, by=by, **kwargs)


def stage_reopen(*, stage, by, reason, **kwargs):
    return stage_transition(stage=stage, to=S.ACTIVE, by=by, reason=reason, **kwargs)
