"""Booking a journey's appointments: surgery, pre-op tests and results, therapy, follow-ups.

Every function here checks its input first, then writes inside one transaction,
audits, and re-plans the journey's reminders in that same transaction (as
journeys/enrolment.py does), so a refused booking leaves nothing behind and an
accepted one never lacks its reminders. Times arrive as aware datetimes built in the
clinic's zone (journeys/scheduling_forms.py). Refusals are keyed by the argument they
are about ("starts_at", "ends_at", "note", ...) so a form can show each next to its
field.
"""

import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef
from django.utils import dateformat, timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from journeys.audit import audit_record
from journeys.enrolment import _ensure_writable, journey_set_surgery
from journeys.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Journey,
    JourneyStatus,
    PreopResult,
    Role,
    User,
)
from journeys.reconcile import reminders_reconcile

K, S = AppointmentKind, AppointmentStatus
LIVE_STATUSES = (S.REQUESTED, S.SCHEDULED)
# The usual spread of n weekly sessions when the coordinator picks no weekdays (Mon=0).
DEFAULT_WEEKDAYS = {1: (2,), 2: (1, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4)}
LONGEST_SERIES_WEEKS = 52
# How long a surgery known only by its date (set at enrolment) keeps the patient busy,
# until the coordinator books its appointment with the real length.
SURGERY_SLOT = timedelta(hours=4)


def describe(appointment, zone):
    """The appointment in words, e.g. 'MRI lumbar spine on Tue 3 Mar 09:00-09:45' (clinic zone)."""
    start, end = appointment.starts_at.astimezone(zone), appointment.ends_at.astimezone(zone)
    return _("%(title)s on %(day)s %(start)s–%(end)s") % {
        "title": appointment.title,
        "day": dateformat.format(start, "D j M"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


def may_record_results(user):
    # Clinical reference §3.3: coordinators schedule tests; clinicians review the results.
    return user.is_care_team and user.role != Role.COORDINATOR


def _check_slot(starts_at, ends_at, *, zone, now=None):
    now = now or timezone.now()
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = _("The end (%(end)s) must be after the start (%(start)s).") % {
            "end": ends_at.astimezone(zone).strftime("%H:%M"),
            "start": starts_at.astimezone(zone).strftime("%H:%M"),
        }
    if starts_at <= now:
        errors["starts_at"] = _("%(when)s is in the past; choose a time to come.") % {
            "when": dateformat.format(starts_at.astimezone(zone), "D j M Y H:i")
        }
    if errors:
        raise ValidationError(errors)


def _check_location(journey, location):
    if location is not None and location.clinic_id != journey.clinic_id:
        raise ValidationError({"location": _("That location belongs to another clinic.")})


def _lock_patient(journey):
    # Two coordinators booking the same patient at once would each see no clash and
    # both save: the patient's row serialises bookings per patient (PostgreSQL).
    User.objects.select_for_update(of=("self",)).filter(pk=journey.patient_id).first()


def _check_no_overlap(journey, slots, *, ignore=(), moving_surgery=False):
    """Refuse if any (start, end) slot overlaps a live appointment of the same patient,
    or a surgery date set at enrolment that has no appointment yet."""
    low, high = min(s for s, _e in slots), max(e for _s, e in slots)
    ends = ExpressionWrapper(F("starts_at") + F("duration"), output_field=DateTimeField())
    booked = list(
        Appointment.objects.filter(
            journey__patient_id=journey.patient_id, status__in=LIVE_STATUSES, starts_at__lt=high
        )
        .exclude(pk__in=ignore)
        .annotate(ends=ends)
        .filter(ends__gt=low)
        .select_related("test_type")
        .order_by("starts_at")
    )
    booked += _surgery_dates_only(journey, low, high, moving_surgery=moving_surgery)
    for start, end in slots:
        for other in booked:
            if other.starts_at < end and other.ends_at > start:
                raise ValidationError(
                    {
                        "starts_at": _("Overlaps %(appointment)s.")
                        % {"appointment": describe(other, journey.clinic.zone)}
                    },
                    code="overlap",
                )


def _surgery_dates_only(journey, low, high, *, moving_surgery):
    """Surgeries known only by their date, as unsaved appointments of SURGERY_SLOT."""
    journeys = Journey.objects.filter(
        patient_id=journey.patient_id,
        status__in=[JourneyStatus.ACTIVE, JourneyStatus.ON_HOLD],
        surgery_at__lt=high,
        surgery_at__gt=low - SURGERY_SLOT,
    ).exclude(
        Exists(
            Appointment.objects.filter(
                journey=OuterRef("pk"), kind=K.SURGERY, status__in=LIVE_STATUSES
            )
        )
    )
    if moving_surgery:
        journeys = journeys.exclude(pk=journey.pk)
    return [
        Appointment(
            journey=other, kind=K.SURGERY, starts_at=other.surgery_at, duration=SURGERY_SLOT
        )
        for other in journeys
    ]


def _audit(action, *, journey, appointment, by, request, **detail):
    audit_record(
        actor=by,
        action=action,
        patient=journey.patient,
        obj=appointment,
        request=request,
        **detail,
    )


@transaction.atomic
def surgery_schedule(*, journey, starts_at, ends_at, by, location=None, request=None):
    """Set or move the surgery: the journey's date and its surgery appointment together."""
    _ensure_writable(journey)
    _check_slot(starts_at, ends_at, zone=journey.clinic.zone)
    _check_location(journey, location)
    _lock_patient(journey)
    surgery = journey.appointments.filter(kind=K.SURGERY, status__in=LIVE_STATUSES).first()
    _check_no_overlap(
        journey,
        [(starts_at, ends_at)],
        ignore=[surgery.pk] if surgery else [],
        moving_surgery=True,
    )
    if surgery is None:
        surgery = Appointment(journey=journey, kind=K.SURGERY)
    surgery.starts_at, surgery.duration = starts_at, ends_at - starts_at
    surgery.location = location or journey.surgery_location
    surgery.full_clean()
    surgery.save()
    # Audits the move and re-plans the reminders (fasting, holds, arrival) from the date.
    journey_set_surgery(
        journey=journey, surgery_at=starts_at, location=location, by=by, request=request
    )
    return surgery


def _book(*, journey, kind, slots, by, location, request, test_type=None, series=None, **detail):
    _ensure_writable(journey)
    zone = journey.clinic.zone
    for start, end in slots:
        _check_slot(start, end, zone=zone)
    _check_location(journey, location)
    _lock_patient(journey)
    _check_no_overlap(journey, slots)
    appointments = [
        Appointment(
            journey=journey,
            kind=kind,
            starts_at=start,
            duration=end - start,
            location=location,
            test_type=test_type,
            result=PreopResult.PENDING if kind == K.PREOP_TEST else "",
            series=series,
        )
        for start, end in slots
    ]
    # The sessions differ only in time, already checked: validating one checks them all.
    appointments[0].full_clean()
    Appointment.objects.bulk_create(appointments)
    _audit(
        "appointment.schedule",
        journey=journey,
        appointment=appointments[0],
        by=by,
        request=request,
        kind=kind,
        sessions=len(appointments),
        starts_at=appointments[0].starts_at.isoformat(),
        **detail,
    )
    reminders_reconcile(journey=journey)
    return appointments


@transaction.atomic
def preop_test_schedule(*, journey, test_type, starts_at, ends_at, by, location=None, request=None):
    """Book a test from the clinic's catalogue; the patient sees its prep instructions."""
    if test_type.clinic_id != journey.clinic_id:
        raise ValidationError({"test_type": _("That test is not in this clinic's catalogue.")})
    (appointment,) = _book(
        journey=journey,
        kind=K.PREOP_TEST,
        slots=[(starts_at, ends_at)],
        by=by,
        location=location,
        request=request,
        test_type=test_type,
        test=test_type.name,
    )
    return appointment


@transaction.atomic
def follow_up_schedule(*, journey, starts_at, ends_at, by, location=None, request=None):
    (appointment,) = _book(
        journey=journey,
        kind=K.FOLLOW_UP,
        slots=[(starts_at, ends_at)],
        by=by,
        location=location,
        request=request,
    )
    return appointment


def series_slots(*, starts_at, ends_at, weeks, weekdays, skip, zone):
    """Each session's (start, end): the same wall-clock time on every chosen weekday.

    Built day by day in the clinic's zone, so a 09:00 session stays 09:00 across a
    daylight-saving change.
    """
    first = starts_at.astimezone(zone)
    at, length = first.timetz().replace(tzinfo=None), ends_at - starts_at
    days = (first.date() + timedelta(days=n) for n in range(7 * weeks))
    starts = [
        datetime.combine(day, at, tzinfo=zone)
        for day in days
        if day.weekday() in weekdays and day not in skip
    ]
    return [(start, start + length) for start in starts]


def _series_weekdays(sessions_per_week, weeks, weekdays):
    errors = {}
    if sessions_per_week is None or sessions_per_week < 1:
        errors["sessions_per_week"] = _("A series needs at least one session a week.")
    elif sessions_per_week > 7:
        errors["sessions_per_week"] = _("A week has only seven days.")
    if weeks is None or not 1 <= weeks <= LONGEST_SERIES_WEEKS:
        errors["weeks"] = _("A series lasts from 1 to %(most)s weeks.") % {
            "most": LONGEST_SERIES_WEEKS
        }
    weekdays = sorted(set(weekdays))
    if not errors and weekdays and len(weekdays) != sessions_per_week:
        errors["weekdays"] = _(
            "You chose %(days)s weekdays for %(sessions)s sessions a week; make them match."
        ) % {"days": len(weekdays), "sessions": sessions_per_week}
    if errors:
        raise ValidationError(errors)
    return weekdays or DEFAULT_WEEKDAYS.get(sessions_per_week, tuple(range(sessions_per_week)))


@transaction.atomic
def therapy_series_schedule(
    *,
    journey,
    starts_at,
    ends_at,
    sessions_per_week,
    weeks,
    by,
    weekdays=(),
    skip=(),
    location=None,
    request=None,
):
    """Book a whole therapy series from its first day, or nothing at all.

    `starts_at`/`ends_at` are the first day's date with the session's start and end
    time; sessions fall on `weekdays` (Monday is 0) for `weeks` weeks, except `skip`.
    """
    chosen = _series_weekdays(sessions_per_week, weeks, weekdays)
    zone = journey.clinic.zone
    if ends_at <= starts_at:
        _check_slot(starts_at, ends_at, zone=zone)
    slots = series_slots(
        starts_at=starts_at,
        ends_at=ends_at,
        weeks=weeks,
        weekdays=chosen,
        skip=set(skip),
        zone=zone,
    )
    if not slots:
        raise ValidationError(
            {"skip": _("Every session of this series falls on a skipped date: nothing to book.")},
            code="empty_series",
        )
    return _book(
        journey=journey,
        kind=K.THERAPY,
        slots=slots,
        by=by,
        location=location,
        request=request,
        series=uuid.uuid4(),
        weekdays=[str(WEEKDAYS[d]) for d in chosen],
        weeks=weeks,
    )


@transaction.atomic
def preop_result_record(*, journey, appointment, result, by, note="", request=None):
    """A pre-op test's result: cleared, or needs review with a note saying why."""
    _ensure_writable(journey)
    if not may_record_results(by):
        raise ValidationError(
            _("Coordinators schedule tests; a clinician records their results."), code="forbidden"
        )
    if appointment is None or appointment.journey_id != journey.pk:
        raise ValidationError(
            _("This patient has no such test scheduled; nothing was recorded."), code="unknown"
        )
    if appointment.kind != K.PREOP_TEST:
        raise ValidationError(
            _("Only a pre-op test has a result; this is a %(kind)s.")
            % {"kind": appointment.get_kind_display().lower()},
            code="not_a_test",
        )
    if appointment.status == S.CANCELLED:
        raise ValidationError(_("This test was cancelled; it has no result."), code="cancelled")
    if appointment.starts_at > timezone.now():
        raise ValidationError(
            _("This test is booked for %(when)s; record its result once it has been done.")
            % {
                "when": dateformat.format(
                    appointment.starts_at.astimezone(journey.clinic.zone), "D j M H:i"
                )
            },
            code="not_yet",
        )
    if result not in (PreopResult.CLEARED, PreopResult.NEEDS_REVIEW):
        raise ValidationError({"result": _("Choose “cleared” or “needs review”.")})
    note = note.strip()
    if result == PreopResult.NEEDS_REVIEW and not note:
        raise ValidationError({"note": _("Say what needs review.")}, code="note_required")
    appointment.result, appointment.result_note = result, note
    appointment.resulted_at = timezone.now()
    appointment.status = S.COMPLETED
    appointment.save(update_fields=["result", "result_note", "resulted_at", "status"])
    _audit(
        "appointment.result",
        journey=journey,
        appointment=appointment,
        by=by,
        request=request,
        test=appointment.title,
        result=result,
    )
    reminders_reconcile(journey=journey)
    return appointment


def _check_live(appointment):
    if appointment.status not in LIVE_STATUSES:
        raise ValidationError(
            _("This appointment is %(status)s and can no longer be changed.")
            % {"status": appointment.get_status_display().lower()},
            code="not_live",
        )


@transaction.atomic
def appointment_reschedule(
    *, journey, appointment, starts_at, ends_at, by, location=None, request=None
):
    """Move an appointment; moving the surgery moves the journey's surgery date too."""
    _ensure_writable(journey)
    if appointment.journey_id != journey.pk:
        raise ValidationError(_("That appointment is not this patient's."), code="unknown")
    _check_live(appointment)
    if appointment.kind == K.SURGERY:
        return surgery_schedule(
            journey=journey,
            starts_at=starts_at,
            ends_at=ends_at,
            by=by,
            location=location,
            request=request,
        )
    _check_slot(starts_at, ends_at, zone=journey.clinic.zone)
    _check_location(journey, location)
    _lock_patient(journey)
    _check_no_overlap(journey, [(starts_at, ends_at)], ignore=[appointment.pk])
    previous = appointment.starts_at
    appointment.starts_at, appointment.duration = starts_at, ends_at - starts_at
    if location is not None:
        appointment.location = location
    appointment.save(update_fields=["starts_at", "duration", "location"])
    _audit(
        "appointment.reschedule",
        journey=journey,
        appointment=appointment,
        by=by,
        request=request,
        previous=previous.isoformat(),
        starts_at=starts_at.isoformat(),
    )
    reminders_reconcile(journey=journey)
    return appointment


@transaction.atomic
def appointment_cancel(*, journey, appointment, by, request=None):
    _ensure_writable(journey)
    if appointment.journey_id != journey.pk:
        raise ValidationError(_("That appointment is not this patient's."), code="unknown")
    _check_live(appointment)
    if appointment.kind == K.SURGERY:
        # The surgery date lives on the journey: move it, or put the journey on hold.
        raise ValidationError(
            _(
                "Move the surgery to a new date, or put the journey on hold; it cannot be "
                "cancelled on its own."
            ),
            code="surgery",
        )
    appointment.status = S.CANCELLED
    appointment.save(update_fields=["status"])
    _audit(
        "appointment.cancel",
        journey=journey,
        appointment=appointment,
        by=by,
        request=request,
        starts_at=appointment.starts_at.isoformat(),
    )
    reminders_reconcile(journey=journey)
    return appointment


@transaction.atomic
def therapy_series_cancel(*, journey, appointment, by, request=None):
    """Cancel the sessions still to come of `appointment`'s series; past ones stay as history."""
    _ensure_writable(journey)
    if appointment.journey_id != journey.pk or appointment.series is None:
        raise ValidationError(_("That appointment is not part of a series."), code="no_series")
    to_come = Appointment.objects.filter(
        journey=journey,
        series=appointment.series,
        status__in=LIVE_STATUSES,
        starts_at__gt=timezone.now(),
    )
    cancelled = to_come.update(status=S.CANCELLED)
    if not cancelled:
        raise ValidationError(_("No session of this series is still to come."), code="none_left")
    _audit(
        "appointment.cancel",
        journey=journey,
        appointment=appointment,
        by=by,
        request=request,
        series=str(appointment.series),
        sessions=cancelled,
    )
    reminders_reconcile(journey=journey)
    return cancelled
