"""Each appointment carries its journey's clinic, and who sees it follows the journey.

The calendar and the day's export read a clinic's day by that copy (journeys/access.py),
so a copy that disagrees with the journey would show one clinic another's patients.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import F

from journeys.bulk import seed_patients
from journeys.caregivers import caregiver_invite
from journeys.models import Appointment, AppointmentKind, Journey
from journeys.scheduling import (
    follow_up_schedule,
    preop_test_schedule,
    surgery_schedule,
    therapy_series_schedule,
)
from tests.scheduling.conftest import at


def _slot(start, minutes=45):
    return {"starts_at": start, "ends_at": start + timedelta(minutes=minutes)}


@pytest.fixture
def booked(journey, mri, coordinator, other_clinic, other_clinic_nurse):
    """Appointments made every way the project makes them, in two clinics."""
    preop_test_schedule(journey=journey, test_type=mri, by=coordinator, **_slot(at(3, 9)))
    surgery_schedule(journey=journey, by=coordinator, **_slot(at(29, 7, 30), 180))
    follow_up_schedule(journey=journey, by=coordinator, **_slot(at(31, 9) + timedelta(days=7)))
    therapy_series_schedule(
        journey=journey,
        by=coordinator,
        sessions_per_week=2,
        weeks=2,
        **_slot(at(31, 14) + timedelta(days=14), 60),
    )
    Appointment.objects.create(
        journey=journey, kind=AppointmentKind.CONSULTATION, starts_at=at(2, 9)
    )
    seed_patients(clinic=other_clinic, n=3, by=other_clinic_nurse)
    return journey


def test_every_way_of_booking_keeps_the_journeys_clinic(booked, clinic, other_clinic):
    clinics = set(Appointment.objects.values_list("clinic_id", flat=True))
    assert clinics == {clinic.pk, other_clinic.pk}
    assert Appointment.objects.filter(journey=booked).count() >= 8
    assert not Appointment.objects.exclude(clinic=F("journey__clinic")).exists()


def test_a_moved_appointment_keeps_its_clinic_when_saved_again(booked, clinic):
    appointment = Appointment.objects.filter(journey=booked).first()
    appointment.starts_at += timedelta(hours=1)
    appointment.save(update_fields=["starts_at"])
    appointment.save()
    appointment.refresh_from_db()
    assert appointment.clinic_id == clinic.pk


def _seen(user):
    """The journeys whose appointments `user` sees, and those they may see that have any."""
    through_appointments = set(Appointment.objects.visible_to(user).values_list("journey_id"))
    journeys = set(
        Journey.objects.visible_to(user).filter(appointments__isnull=False).values_list("pk")
    )
    return through_appointments, journeys


def test_appointments_are_seen_by_exactly_who_sees_their_journey(
    booked, coordinator, nurse, patient, stranger, other_clinic_nurse, django_user_model
):
    grant = caregiver_invite(
        journey=booked,
        email="daughter@test.example",
        full_name="Dana Daughter",
        relationship="daughter",
        by=patient,
    )
    admin = django_user_model.objects.create_user(email="root@test.example", password="x" * 12)
    cases = [coordinator, nurse, patient, stranger, other_clinic_nurse, grant.caregiver, admin]
    for user in cases:
        through_appointments, journeys = _seen(user)
        assert through_appointments == journeys, user.email
    assert _seen(coordinator)[0] == {(booked.pk,)}
    assert _seen(patient)[0] == {(booked.pk,)}
    assert _seen(grant.caregiver)[0] == {(booked.pk,)}
    assert len(_seen(other_clinic_nurse)[0]) == 3
    assert _seen(stranger)[0] == set()
    assert not Appointment.objects.visible_to(AnonymousUser()).exists()
