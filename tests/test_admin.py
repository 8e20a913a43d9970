import pytest
from django.urls import reverse

from journeys.models import AuditEvent, Role
from tests.conftest import make_user


def clinic_admin(clinic, email):
    admin = make_user(email, Role.CLINIC_ADMIN, clinic)
    admin.is_staff = True
    admin.save()
    return admin


@pytest.fixture
def other_clinic_admin(other_clinic):
    return clinic_admin(other_clinic, "admin@other.example")


def test_a_clinic_admin_lists_only_their_own_clinics_journeys(
    client, clinic, journey, other_clinic_journey
):
    client.force_login(clinic_admin(clinic, "admin@test.example"))

    page = client.get(reverse("admin:journeys_journey_changelist")).content.decode()

    assert journey.patient.full_name in page
    assert other_clinic_journey.patient.full_name not in page


@pytest.mark.parametrize(
    "name, target",
    [
        ("admin:journeys_journey_change", lambda j: j.pk),
        ("admin:journeys_user_change", lambda j: j.patient.pk),
        ("admin:journeys_proceduretemplate_change", lambda j: j.procedure.pk),
        ("admin:journeys_clinic_change", lambda j: j.clinic.pk),
    ],
)
def test_another_clinics_admin_cannot_open_this_clinics_rows(
    client, other_clinic_admin, journey, name, target
):
    client.force_login(other_clinic_admin)

    response = client.get(reverse(name, args=[target(journey)]), follow=True)

    assert journey.patient.full_name not in response.content.decode()
    assert journey.patient.email not in response.content.decode()


def test_opening_a_journey_in_the_admin_is_audited(client, clinic, journey):
    admin = clinic_admin(clinic, "admin@test.example")
    client.force_login(admin)

    client.get(reverse("admin:journeys_journey_change", args=[journey.pk]))

    event = AuditEvent.objects.get(actor=admin, action="journey.view")
    assert event.patient == journey.patient
    assert event.detail == {"via": "admin"}
