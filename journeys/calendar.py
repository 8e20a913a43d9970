"""The patient's private calendar feed (ICS): their appointments, on their phone.

A phone subscribes to a secret URL and fetches it without signing in, so the URL is
the credential. Only its SHA-256 is stored (journeys.models.CalendarLink): a copy of
the database gives nobody a live feed. The patient sees the URL once, when it is
made; "create a new link" replaces it, and the old one stops working at once.

The feed lives in phone calendars, often synced to other services, so it carries the
minimum: what kind of visit, when, where, how to prepare and whom to call. No
diagnosis, procedure or medication names.
"""

import hashlib
import secrets
from datetime import UTC, timedelta

import icalendar
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from journeys.audit import audit_record
from journeys.clinic_text import clinic_text
from journeys.models import Appointment, AppointmentKind, AppointmentStatus, CalendarLink

UID_DOMAIN = "spinecare"
# Phones poll a subscribed calendar on their own schedule; this asks for roughly hourly.
REFRESH = timedelta(hours=1)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_link_create(*, journey, by, request=None):
    """A new secret feed token for `journey`, replacing any old one. Returns the raw token."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        rotated = CalendarLink.objects.filter(journey=journey).delete()[0] > 0
        CalendarLink.objects.create(
            journey=journey, token_hash=token_hash(token), created_at=timezone.now(), created_by=by
        )
        audit_record(
            actor=by,
            action="calendar.link_create",
            patient=journey.patient,
            obj=journey,
            request=request,
            rotated=rotated,
        )
    return token


def calendar_link_revoke(*, journey, by, request=None):
    """Stop the journey's feed link; its URL answers 404 from now on."""
    with transaction.atomic():
        revoked = CalendarLink.objects.filter(journey=journey).delete()[0] > 0
        audit_record(
            actor=by,
            action="calendar.link_revoke",
            patient=journey.patient,
            obj=journey,
            request=request,
            revoked=revoked,
        )
    return revoked


def journey_for_token(token):
    """The journey whose live link is `token`, or None."""
    link = (
        CalendarLink.objects.select_related("journey__clinic", "journey__patient")
        .filter(token_hash=token_hash(token))
        .first()
    )
    return link.journey if link is not None else None


def calendar_fetch_audit(*, journey, request):
    # One row per fetch: phones poll, but a leaked link shows up as fetches from new places.
    audit_record(
        actor=None, action="calendar.fetch", patient=journey.patient, obj=journey, request=request
    )


def feed_appointments(journey):
    """The appointments the feed and the calendar page show: all but the cancelled."""
    return (
        Appointment.objects.filter(journey=journey)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("location", "test_type")
        .order_by("starts_at", "id")
    )


def calendar_feed(journey):
    """The journey's appointments (and its surgery) as iCalendar bytes."""
    clinic = journey.clinic
    with translation.override(journey.patient.language):
        cal = icalendar.Calendar()
        cal.add("prodid", "-//SpineCare//Appointments//EN")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", _("SpineCare appointments"))
        cal.add("x-wr-timezone", clinic.time_zone)
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
        now = timezone.now()
        appointments = list(feed_appointments(journey))
        for appointment in appointments:
            cal.add_component(_appointment_event(appointment, clinic, now))
        has_surgery = any(a.kind == AppointmentKind.SURGERY for a in appointments)
        if journey.surgery_at and not has_surgery:
            cal.add_component(_surgery_event(journey, now))
        return cal.to_ical()


def _appointment_event(appointment, clinic, now):
    event = icalendar.Event()
    event.add("uid", f"appointment-{appointment.pk}@{UID_DOMAIN}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", clinic_text(appointment.title))
    if appointment.location is not None:
        event.add("location", _place(appointment.location))
    status = "TENTATIVE" if appointment.status == AppointmentStatus.REQUESTED else "CONFIRMED"
    event.add("status", status)
    lines = []
    if appointment.status == AppointmentStatus.REQUESTED:
        lines.append(_("This appointment is requested and not yet confirmed."))
    test = appointment.test_type if appointment.kind == AppointmentKind.PREOP_TEST else None
    if test is not None and test.prep_instructions:
        lines.append(_("How to prepare:") + " " + clinic_text(test.prep_instructions))
    if appointment.kind == AppointmentKind.SURGERY:
        lines.append(_arrival(appointment.starts_at, clinic))
    lines.append(_care_team_line(clinic))
    event.add("description", "\n\n".join(lines))
    return event


def _surgery_event(journey, now):
    # The surgery date is set on the journey itself; its UID stays the same when it moves.
    clinic = journey.clinic
    event = icalendar.Event()
    event.add("uid", f"surgery-{journey.pk}@{UID_DOMAIN}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", journey.surgery_at.astimezone(UTC))
    event.add("dtend", journey.surgery_at.astimezone(UTC))
    event.add("summary", _("Surgery"))
    if journey.surgery_location is not None:
        event.add("location", _place(journey.surgery_location))
    event.add("status", "CONFIRMED")
    event.add(
        "description", "\n\n".join([_arrival(journey.surgery_at, clinic), _care_team_line(clinic)])
    )
    return event


def _place(location):
    return ", ".join(part for part in (location.name, location.address) if part)


def _arrival(starts_at, clinic):
    if not clinic.arrival_lead_minutes:
        return _("Please arrive on time.")
    arrive = starts_at.astimezone(clinic.zone) - timedelta(minutes=clinic.arrival_lead_minutes)
    return _("Please arrive by %(time)s.") % {"time": arrive.strftime("%H:%M")}


def _care_team_line(clinic):
    return _(
        "Follow your care team's instructions. Questions? Call your care team at %(phone)s."
    ) % {"phone": clinic.phone}
