"""CSV downloads for the care team: the worklist and a day's schedule.

Callers pass rows they already restricted with Journey.objects.visible_to; this module
only turns them into cells, neutralises spreadsheet formulas and audits the download.
"""

import csv
from datetime import datetime, time, timedelta

from django.http import HttpResponse
from django.utils.translation import gettext as _

from journeys.audit import audit_record
from journeys.models import Appointment, StageStatus

# A cell starting with one of these is run as a formula by Excel, LibreOffice and
# Sheets (OWASP "CSV injection"); a patient's own name or a free-text note could.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_download(*, request, filename, header, rows, action, **detail):
    """An attachment of `rows`, after one audit event naming what was downloaded."""
    rows = list(rows)
    audit_record(
        actor=request.user, action=action, patient=None, request=request, rows=len(rows), **detail
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return response


def _local(moment, zone):
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}" if moment else ""


def _yes(flag):
    return _("yes") if flag else ""


def worklist_header():
    return [
        _("Patient"),
        _("Date of birth"),
        _("Procedure"),
        _("Surgeon"),
        _("Surgery"),
        _("Journey"),
        _("Current step"),
        _("Step status"),
        _("Overdue items"),
        _("Pre-op tests not scheduled"),
        _("Pre-op tests not cleared"),
        _("Failed reminders"),
        _("Readiness gate"),
    ]


def worklist_rows(journeys, zone):
    """One row per journey of worklist.worklist_journeys(...), in its order."""
    for journey in journeys:
        yield [
            journey.patient.full_name,
            journey.patient.date_of_birth.isoformat() if journey.patient.date_of_birth else "",
            journey.procedure_name,
            journey.surgeon.full_name if journey.surgeon else "",
            _local(journey.surgery_at, zone),
            journey.get_status_display(),
            journey.current_title or _("finished"),
            _stage_status_label(journey.current_status),
            journey.overdue_items,
            _yes(journey.tests_unscheduled),
            _yes(journey.tests_uncleared),
            journey.failed_reminders,
            _("blocked") if journey.gate_blocked else _("open"),
        ]


def _stage_status_label(status):
    return StageStatus(status).label if status else ""


def day_appointments(user, day, zone):
    """The appointments of journeys `user` may see that start on `day`, clinic time."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    return (
        Appointment.objects.visible_to(user)
        .filter(
            starts_at__gte=start,
            starts_at__lt=datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
        )
        .select_related("journey__patient", "journey__surgeon", "location", "test_type")
        .order_by("starts_at", "id")
    )


def schedule_header():
    return [
        _("Starts"),
        _("Ends"),
        _("Patient"),
        _("Appointment"),
        _("Location"),
        _("Status"),
        _("Procedure"),
        _("Surgeon"),
    ]


def schedule_rows(appointments, zone):
    for appointment in appointments:
        journey = appointment.journey
        yield [
            _local(appointment.starts_at, zone),
            _local(appointment.ends_at, zone),
            journey.patient.full_name,
            appointment.title,
            appointment.location.name if appointment.location else "",
            appointment.get_status_display(),
            journey.procedure_name,
            journey.surgeon.full_name if journey.surgeon else "",
        ]
