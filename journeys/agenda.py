"""The clinic's calendar: every appointment of a day or a week, by day and location.

Loaded in a fixed number of queries whatever the number of appointments: one for the
appointments (with their patient, location and test), one for surgeries set on a
journey that have no surgery appointment of their own (enrolment sets only a date).
Both read plain rows, not model instances: the page shows a few fields of each, and
building a journey, a patient, a location and a test for every row was most of its cost.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import groupby

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from journeys.models import Appointment, AppointmentKind, AppointmentStatus, Journey, JourneyStatus
from journeys.page_text import choice_labels, url_format

WEEK = 7


@dataclass(frozen=True)
class Entry:
    """One line of the calendar. Times are in the clinic's zone, as the page shows them."""

    starts_at: datetime
    ends_at: datetime | None
    title: str
    kind: str
    status: str
    patient: str
    journey_id: int
    patient_id: int
    location: str
    schedule_url: str
    appointment_id: int | None = None
    appointment_url: str = ""

    @property
    def hours(self):
        """Start and end as the page shows them; only the start for a surgery set by date."""
        start = self.starts_at.time().isoformat("minutes")
        if self.ends_at is None:
            return start
        return f"{start}–{self.ends_at.time().isoformat('minutes')}"


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


# What the calendar reads, built once: resolving a queryset's joins and expressions cost
# the page about as much as running it. Each page filters them to what its user may see
# of its days (a clone). The appointments not cancelled, as rows:
BOOKED = (
    Appointment.objects.exclude(status=AppointmentStatus.CANCELLED)
    .order_by("starts_at", "pk")  # Same time, same place: in booking order.
    .values(
        "pk",
        "journey_id",
        "journey__patient_id",
        "journey__patient__full_name",
        "kind",
        "status",
        "starts_at",
        "duration",
        "location__name",
        "test_type__name",
    )
)
# Surgeries set on a journey (enrolment sets only a date) with no surgery appointment:
UNBOOKED_SURGERIES = (
    Journey.objects.exclude(status=JourneyStatus.CANCELLED)
    .exclude(
        Exists(
            Appointment.objects.filter(
                journey=OuterRef("pk"), kind=AppointmentKind.SURGERY
            ).exclude(status=AppointmentStatus.CANCELLED)
        )
    )
    .values("pk", "patient_id", "patient__full_name", "surgery_at", "surgery_location__name")
)


def _appointment_entries(user, start, end, zone):
    schedule = url_format("journeys:schedule", 1)
    appointment = url_format("journeys:appointment", 2)
    rows = BOOKED.visible_to(user).filter(starts_at__gte=start, starts_at__lt=end)
    kinds = choice_labels(AppointmentKind.choices)
    statuses = choice_labels(AppointmentStatus.choices)
    entries = []
    for a in rows:
        test_type = a["test_type__name"]  # None only without a test: the name is required.
        entries.append(
            Entry(
                starts_at=a["starts_at"].astimezone(zone),
                # Added before converting: in the clinic's zone, an hour across a
                # daylight-saving change would be added to the wall clock.
                ends_at=(a["starts_at"] + a["duration"]).astimezone(zone),
                title=test_type if test_type is not None else kinds[a["kind"]],
                kind=a["kind"],
                status=statuses[a["status"]],
                patient=a["journey__patient__full_name"],
                journey_id=a["journey_id"],
                patient_id=a["journey__patient_id"],
                location=a["location__name"] or "",
                schedule_url=schedule.format(a["journey_id"]),
                appointment_id=a["pk"],
                appointment_url=appointment.format(a["journey_id"], a["pk"]),
            )
        )
    return entries


def _surgery_entries(user, start, end, zone):
    schedule = url_format("journeys:schedule", 1)
    rows = UNBOOKED_SURGERIES.visible_to(user).filter(surgery_at__gte=start, surgery_at__lt=end)
    return [
        Entry(
            starts_at=j["surgery_at"].astimezone(zone),
            ends_at=None,
            title=_("Surgery"),
            kind=AppointmentKind.SURGERY,
            status=str(AppointmentStatus.SCHEDULED.label),
            patient=j["patient__full_name"],
            journey_id=j["pk"],
            patient_id=j["patient_id"],
            location=j["surgery_location__name"] or "",
            schedule_url=schedule.format(j["pk"]),
        )
        for j in rows
    ]


def clinic_calendar(user, first, days):
    """`days` Day rows from `first`, each with its places and their entries by time."""
    zone = user.clinic.zone
    start, end = day_bounds(first, days, zone)
    entries = [
        *_appointment_entries(user, start, end, zone),
        *_surgery_entries(user, start, end, zone),
    ]
    no_place = _("No location")

    def day_of(entry):
        return entry.starts_at.date()

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
