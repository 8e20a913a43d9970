"""The clinic's calendar: every appointment of a day or a week, by day and location.

Loaded in a fixed number of queries whatever the number of appointments: one for the
appointments (with their patient, location and test), one for surgeries set on a
journey that have no surgery appointment of their own (enrolment sets only a date).
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import groupby

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from journeys.models import Appointment, AppointmentKind, AppointmentStatus, Journey, JourneyStatus

WEEK = 7


@dataclass(frozen=True)
class Entry:
    starts_at: datetime
    ends_at: datetime | None
    title: str
    kind: str
    status: str
    patient: str
    journey_id: int
    patient_id: int
    location: str
    appointment_id: int | None = None


@dataclass
class Place:
    name: str
    entries: list = field(default_factory=list)


@dataclass
class Day:
    day: object
    places: list = field(default_factory=list)

    @property
    def count(self):
        return sum(len(p.entries) for p in self.places)


def day_bounds(first, days, zone):
    """The instants of local midnight starting `first` and `days` days later.

    Built from wall-clock midnights, so a day that has 23 or 25 hours (daylight-saving
    changes) is still exactly one day.
    """
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(first + timedelta(days=days), time.min, tzinfo=zone)
    return start, end


def week_start(day):
    return day - timedelta(days=day.weekday())


def _appointment_entries(journeys, start, end):
    rows = (
        Appointment.objects.filter(journey__in=journeys, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("journey__patient", "location", "test_type")
    )
    return [
        Entry(
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            title=a.title,
            kind=a.kind,
            status=a.get_status_display(),
            patient=a.journey.patient.full_name,
            journey_id=a.journey_id,
            patient_id=a.journey.patient_id,
            location=a.location.name if a.location_id else "",
            appointment_id=a.pk,
        )
        for a in rows
    ]


def _surgery_entries(journeys, start, end):
    booked = Appointment.objects.filter(
        journey=OuterRef("pk"), kind=AppointmentKind.SURGERY
    ).exclude(status=AppointmentStatus.CANCELLED)
    rows = (
        journeys.filter(surgery_at__gte=start, surgery_at__lt=end)
        .exclude(status=JourneyStatus.CANCELLED)
        .exclude(Exists(booked))
        .select_related("patient", "surgery_location")
    )
    return [
        Entry(
            starts_at=j.surgery_at,
            ends_at=None,
            title=_("Surgery"),
            kind=AppointmentKind.SURGERY,
            status=AppointmentStatus.SCHEDULED.label,
            patient=j.patient.full_name,
            journey_id=j.pk,
            patient_id=j.patient_id,
            location=j.surgery_location.name if j.surgery_location_id else "",
        )
        for j in rows
    ]


def clinic_calendar(user, first, days):
    """`days` Day rows from `first`, each with its places and their entries by time."""
    zone = user.clinic.zone
    start, end = day_bounds(first, days, zone)
    journeys = Journey.objects.visible_to(user)
    entries = _appointment_entries(journeys, start, end) + _surgery_entries(journeys, start, end)
    no_place = _("No location")

    def day_of(entry):
        return entry.starts_at.astimezone(zone).date()

    def place_of(entry):
        return entry.location or no_place

    by_day = {
        day: list(group)
        for day, group in groupby(sorted(entries, key=lambda e: (day_of(e), e.starts_at)), day_of)
    }
    result = []
    for n in range(days):
        day = first + timedelta(days=n)
        todays = sorted(by_day.get(day, []), key=lambda e: (place_of(e), e.starts_at))
        places = [Place(name, list(group)) for name, group in groupby(todays, place_of)]
        result.append(Day(day=day, places=places))
    return result


def shown(days):
    """(journey_id, patient_id) of every entry, for the audit trail."""
    return [(e.journey_id, e.patient_id) for d in days for p in d.places for e in p.entries]
