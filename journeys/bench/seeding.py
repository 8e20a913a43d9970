"""A clinic of N patients for one round of the benchmark, and how long seeding took."""

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


@dataclass
class BenchClinic:
    n: int
    clinic: Clinic
    nurse: object
    coordinator: object
    journey_ids: list
    seconds: float

    def sample_journey(self):
        index = SAMPLE_INDEX if self.n > SAMPLE_INDEX else 0
        return Journey.objects.select_related("patient").get(pk=self.journey_ids[index])

    def active_journeys(self, count):
        """Up to `count` open journeys with a surgery date, spread over the clinic."""
        journeys = Journey.objects.filter(
            pk__in=self.journey_ids, status=JourneyStatus.ACTIVE, surgery_at__isnull=False
        ).select_related("patient")
        step = max(1, self.n // count)
        return list(journeys.order_by("id")[::step][:count])


def care_team_member(clinic, role, name):
    """Someone of the care team with a second factor enrolled, as production requires."""
    user = person_create(
        email=f"{role}{clinic.pk}@bench.example", full_name=name, role=role, clinic=clinic
    )
    TOTP.activate(user, generate_totp_secret())
    RecoveryCodes.activate(user)
    return user


def seed_clinic(n):
    """A new clinic with the default procedures, its care team and `n` patients."""
    clinic = Clinic.objects.create(
        name=f"Bench clinic of {n:,}", time_zone="America/Los_Angeles", phone="(555) 010-2030"
    )
    Location.objects.create(clinic=clinic, name="Bench hospital", address="1 Bench Road")
    install_clinic_defaults(clinic)
    nurse = care_team_member(clinic, Role.STAFF, "Bench Nurse")
    coordinator = care_team_member(clinic, Role.COORDINATOR, "Bench Coordinator")
    started = time.perf_counter()
    ids = seed_patients(clinic=clinic, n=n, by=nurse, surgeon=nurse)
    seconds = time.perf_counter() - started
    # Fresh statistics, as autovacuum keeps them in production: without them PostgreSQL
    # plans for empty tables (nested loops over what it thinks is one row).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return BenchClinic(n, clinic, nurse, coordinator, ids, seconds)
