"""N patients for one round of the benchmark, and how long seeding took.

An installation serves a health system: the N patients go to clinics of at most
`clinic_size` patients each (the last may be smaller), every clinic with its own
procedures, care team and calendar, as `install_clinic_defaults` makes them. The pages
are measured in the first of them, so they show what one clinic's pages cost while the
database holds every clinic's rows.
"""

import time
from dataclasses import dataclass

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection

from journeys.bulk import seed_patients
from journeys.defaults import install_clinic_defaults
from journeys.models import Clinic, Journey, JourneyStatus, Location, Role
from journeys.people import person_create

# The patient whose pages are measured: at every N the same place in the spread of
# journeys/bulk.py (surgery a week ahead, getting ready, English, nothing on hold), so
# the query counts at two sizes compare like with like.
SAMPLE_INDEX = 83


# Patients per clinic: a large spine centre's open journeys (about a thousand surgeries
# a year, each journey open from consultation to the end of rehabilitation).
CLINIC_SIZE = 2000


@dataclass
class BenchClinic:
    n: int  # patients seeded in this round, over every clinic
    clinics: int
    clinic: Clinic  # the clinic whose pages are measured
    nurse: object
    coordinator: object
    journey_ids: list
    seconds: float

    @property
    def clinic_n(self):
        return len(self.journey_ids)

    def sample_journey(self):
        index = SAMPLE_INDEX if self.clinic_n > SAMPLE_INDEX else 0
        return Journey.objects.select_related("patient").get(pk=self.journey_ids[index])

    def active_journeys(self, count):
        """Up to `count` open journeys with a surgery date, spread over the clinic."""
        journeys = Journey.objects.filter(
            pk__in=self.journey_ids, status=JourneyStatus.ACTIVE, surgery_at__isnull=False
        ).select_related("patient")
        step = max(1, self.clinic_n // count)
        return list(journeys.order_by("id")[::step][:count])


def care_team_member(clinic, role, name):
    """Someone of the care team with a second factor enrolled, as production requires."""
    user = person_create(
        email=f"{role}{clinic.pk}@bench.example", full_name=name, role=role, clinic=clinic
    )
    TOTP.activate(user, generate_totp_secret())
    RecoveryCodes.activate(user)
    return user


def seed_installation(n, *, clinic_size=CLINIC_SIZE):
    """`n` patients in new clinics of at most `clinic_size`; the first is measured."""
    sizes = [min(clinic_size, n - start) for start in range(0, n, clinic_size)]
    started = time.perf_counter()
    seeded = [_seed_clinic(size, number) for number, size in enumerate(sizes, 1)]
    seconds = time.perf_counter() - started
    # Fresh statistics, as autovacuum keeps them in production: without them PostgreSQL
    # plans for empty tables (nested loops over what it thinks is one row).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    clinic, nurse, coordinator, ids = seeded[0]
    return BenchClinic(n, len(sizes), clinic, nurse, coordinator, ids, seconds)


def _seed_clinic(n, number):
    """A new clinic with the default procedures, its care team and `n` patients."""
    clinic = Clinic.objects.create(
        name=f"Bench clinic {number} ({n:,} patients)",
        time_zone="America/Los_Angeles",
        phone="(555) 010-2030",
    )
    Location.objects.create(clinic=clinic, name="Bench hospital", address="1 Bench Road")
    install_clinic_defaults(clinic)
    nurse = care_team_member(clinic, Role.STAFF, "Bench Nurse")
    coordinator = care_team_member(clinic, Role.COORDINATOR, "Bench Coordinator")
    ids = seed_patients(clinic=clinic, n=n, by=nurse, surgeon=nurse)
    return clinic, nurse, coordinator, ids
