"""A coordinator enrols a patient: account, journey and invitation, all or nothing."""

import re
from datetime import date, time, timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from journeys.models import AuditEvent, Invitation, Journey, Location, ProcedureTemplate, Role, User
from journeys.onboarding import patient_enrol
from tests.conftest import make_care_team_user

ENROL = reverse("journeys:coordinator-enrol")
LINK = re.compile(r"https?://\S+/invite/[\w-]+/")


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def enrol(coordinator_client, django_capture_on_commit_callbacks):
    """POST the enrolment form; the invitation email goes out when the transaction commits."""

    def enrol(data, *, follow=True):
        with django_capture_on_commit_callbacks(execute=True):
            return coordinator_client.post(ENROL, data, follow=follow)

    return enrol


def local_day(clinic, days):
    return (timezone.now().astimezone(clinic.zone) + timedelta(days=days)).date()


@pytest.fixture
def form_data(clinic, fusion, nurse):
    return {
        "full_name": "Rosa Newcomer",
        "email": "rosa@test.example",
        "phone": "+1 (555) 010-2030",
        "date_of_birth": "1961-04-12",
        "language": "en",
        "procedure": fusion.pk,
        "surgeon": nurse.pk,
        "surgery_date": local_day(clinic, 30).isoformat(),
        "surgery_time": "07:30",
        "location": clinic.locations.get().pk,
    }


def counts():
    return (User.objects.count(), Journey.objects.count(), Invitation.objects.count())


def test_enrolling_creates_the_patient_and_journey_and_emails_the_invitation(
    enrol, form_data, clinic, fusion, nurse, coordinator
):
    response = enrol(form_data)

    patient = User.objects.get(email="rosa@test.example")
    journey = Journey.objects.get(patient=patient)
    assert response.redirect_chain[-1][0] == reverse("journeys:staff-journey", args=[journey.pk])
    page = response.content.decode()
    assert "Rosa Newcomer is enrolled. Invitation sent to rosa@test.example." in page
    assert (patient.role, patient.clinic, patient.phone) == (
        Role.PATIENT,
        clinic,
        "+1 (555) 010-2030",
    )
    assert patient.date_of_birth == date(1961, 4, 12)
    assert not patient.has_usable_password()
    assert (journey.procedure, journey.surgeon) == (fusion, nurse)
    assert journey.surgery_location == clinic.locations.get()
    assert [m.to for m in mail.outbox] == [["rosa@test.example"]]
    assert set(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True)) >= {
        "patient.create",
        "journey.enroll",
        "invitation.send",
    }


def test_the_patient_sets_a_password_from_the_enrolment_email(enrol, form_data, client):
    enrol(form_data)
    client.logout()
    link = urlsplit(LINK.search(mail.outbox[0].body).group(0)).path

    data = {
        "password": "vertebra-sunrise-kettle-8",
        "password_confirm": "vertebra-sunrise-kettle-8",
    }
    response = client.post(link, data, follow=True)

    assert "Your next step:" in response.content.decode()


def test_the_surgery_time_is_the_clinics_local_time(enrol, form_data, clinic):
    enrol(form_data)

    surgery = Journey.objects.get(patient__email="rosa@test.example").surgery_local()
    assert (surgery.date(), surgery.time()) == (local_day(clinic, 30), time(7, 30))


def test_the_surgery_date_may_be_left_for_later(enrol, form_data):
    enrol({**form_data, "surgery_date": "", "surgery_time": "", "location": ""})

    assert Journey.objects.get(patient__email="rosa@test.example").surgery_at is None


def test_an_email_that_already_has_an_account_is_refused_and_nothing_is_saved(
    enrol, form_data, stranger
):
    before = counts()

    response = enrol({**form_data, "email": stranger.email})

    assert response.status_code == 200
    assert f"Someone with the email {stranger.email} already has an account." in (
        response.content.decode()
    )
    assert counts() == before
    assert not mail.outbox


def test_a_refusal_after_the_account_is_made_leaves_nothing_behind(
    coordinator, other_clinic, django_capture_on_commit_callbacks
):
    # journey_enroll refuses another clinic's procedure after person_create has run.
    foreign = ProcedureTemplate.objects.filter(clinic=other_clinic).first()
    before = counts()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        patient_enrol(
            by=coordinator,
            full_name="Rosa Newcomer",
            email="rosa@test.example",
            phone="555 010 2030",
            date_of_birth=date(1961, 4, 12),
            procedure=foreign,
        )

    assert counts() == before
    assert not AuditEvent.objects.filter(action="patient.create").exists()
    assert not mail.outbox


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("+1 (555) 010-2030", True),
        ("0049 30 1234567", True),
        ("555-0102", True),
        ("12345", False),  # too few digits
        ("1" * 21, False),  # too many digits
        ("555-CALL-NOW", False),
        ("555 0102 ext. 4", False),
    ],
)
def test_the_phone_number_is_digits_with_the_usual_separators(enrol, form_data, phone, ok):
    response = enrol({**form_data, "phone": phone})

    assert User.objects.filter(email="rosa@test.example").exists() == ok
    if not ok:
        assert "Enter a phone number of 7 to 20 digits" in response.content.decode()


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (date.today() + timedelta(days=1), "The date of birth must be in the past."),
        (date(1890, 1, 1), "Please check the date of birth."),
    ],
)
def test_the_date_of_birth_must_be_plausible(enrol, form_data, born, message):
    response = enrol({**form_data, "date_of_birth": born.isoformat()})

    assert message in response.content.decode()
    assert not User.objects.filter(email="rosa@test.example").exists()


def test_a_surgery_date_in_the_past_is_refused(enrol, form_data, clinic):
    response = enrol({**form_data, "surgery_date": local_day(clinic, -1).isoformat()})

    assert "The surgery date must be in the future." in response.content.decode()
    assert not User.objects.filter(email="rosa@test.example").exists()


def test_a_surgery_date_without_a_time_is_refused(enrol, form_data):
    response = enrol({**form_data, "surgery_time": ""})

    assert "Give both the surgery date and time, or neither." in response.content.decode()


def test_only_the_clinics_active_procedures_and_own_staff_are_offered(
    coordinator_client, clinic, other_clinic, fusion, microdiscectomy, other_clinic_nurse, nurse
):
    microdiscectomy.is_active = False
    microdiscectomy.save()
    Location.objects.create(clinic=other_clinic, name="Far away hospital")

    page = coordinator_client.get(ENROL).content.decode()

    assert fusion.name in page
    assert microdiscectomy.name not in page
    assert nurse.full_name in page
    assert other_clinic_nurse.full_name not in page
    assert "Far away hospital" not in page


@pytest.mark.parametrize("field", ["procedure", "surgeon", "location"])
def test_another_clinics_choices_are_refused(
    enrol, form_data, field, other_clinic, other_clinic_nurse
):
    foreign = {
        "procedure": ProcedureTemplate.objects.filter(clinic=other_clinic).first().pk,
        "surgeon": other_clinic_nurse.pk,
        "location": Location.objects.create(clinic=other_clinic, name="Elsewhere").pk,
    }

    response = enrol({**form_data, field: foreign[field]})

    assert "Select a valid choice." in response.content.decode()
    assert not User.objects.filter(email="rosa@test.example").exists()


def test_an_inactive_procedure_is_refused(enrol, form_data, fusion):
    fusion.is_active = False
    fusion.save()

    enrol(form_data)

    assert not User.objects.filter(email="rosa@test.example").exists()


def test_nurses_and_patients_may_not_enrol(client, nurse, patient, form_data):
    for user in (nurse, patient):
        client.force_login(user)
        assert client.get(ENROL).status_code == 403
        assert client.post(ENROL, form_data).status_code == 403
    assert not User.objects.filter(email="rosa@test.example").exists()


def test_a_clinic_admin_may_enrol(client, clinic, form_data):
    client.force_login(make_care_team_user("admin@test.example", Role.CLINIC_ADMIN, clinic))

    client.post(ENROL, form_data)

    assert Journey.objects.filter(patient__email="rosa@test.example").exists()


def test_the_worklist_links_to_enrolment_for_coordinators_only(client, coordinator, nurse):
    client.force_login(coordinator)
    assert ENROL in client.get(reverse("journeys:staff-worklist")).content.decode()

    client.force_login(nurse)
    assert ENROL not in client.get(reverse("journeys:staff-worklist")).content.decode()


def test_a_coordinator_sends_a_new_invitation_and_the_old_link_stops_working(
    enrol, form_data, coordinator_client, django_capture_on_commit_callbacks, client
):
    enrol(form_data)
    journey = Journey.objects.get(patient__email="rosa@test.example")
    first = urlsplit(LINK.search(mail.outbox[0].body).group(0)).path

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("journeys:invitation-resend", args=[journey.pk]), follow=True
        )

    assert "A new invitation was sent to rosa@test.example." in response.content.decode()
    assert len(mail.outbox) == 2
    client.logout()
    assert client.get(first).status_code == 410


def test_a_nurse_cannot_send_invitations(client, nurse, journey):
    client.force_login(nurse)

    response = client.post(reverse("journeys:invitation-resend", args=[journey.pk]))

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_coordinator_cannot_invite_another_clinics_patient(
    coordinator_client, other_clinic_journey
):
    url = reverse("journeys:invitation-resend", args=[other_clinic_journey.pk])

    assert coordinator_client.post(url).status_code == 404
    assert not Invitation.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_a_patient_with_a_password_is_pointed_to_the_reset_page(coordinator_client, journey):
    response = coordinator_client.post(
        reverse("journeys:invitation-resend", args=[journey.pk]), follow=True
    )

    assert "has already set a password" in response.content.decode()
    assert not Invitation.objects.exists()
