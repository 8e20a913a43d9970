"""Caregivers: a patient shares their journey; the people they chose follow it, read-only."""

import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from journeys.caregivers import caregiver_invite, caregiver_revoke
from journeys.models import AuditEvent, CaregiverGrant, Journey, Owner, Role, Step, User
from journeys.transitions import stage_complete, stage_start
from tests.conftest import PASSWORD, clear_required_tests, make_user

CARER_EMAIL = "carla@family.example"
LINK = re.compile(r"https?://\S+/invite/[\w-]+/")


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """caregiver_invite as the app calls it; its emails go out when the transaction commits."""

    def invite(journey, by, email=CARER_EMAIL, full_name="Carla Carer", relationship="daughter"):
        with django_capture_on_commit_callbacks(execute=True):
            return caregiver_invite(
                journey=journey, email=email, full_name=full_name, relationship=relationship, by=by
            )

    return invite


@pytest.fixture
def grant(journey, patient, invite):
    return invite(journey, patient)


@pytest.fixture
def caregiver(grant):
    return grant.caregiver


@pytest.fixture
def caregiver_client(client, caregiver):
    client.force_login(caregiver)
    return client


def manage_url(journey):
    return reverse("journeys:caregivers", args=[journey.pk])


def revoke_url(journey, grant):
    return reverse("journeys:caregiver-revoke", args=[journey.pk, grant.pk])


def live(grant):
    grant.refresh_from_db()
    return grant.is_live


# Inviting


def test_a_patient_invites_a_caregiver_who_gets_a_link_to_set_a_password(
    client, patient, journey, django_capture_on_commit_callbacks
):
    client.force_login(patient)
    data = {"full_name": "Carla Carer", "email": CARER_EMAIL, "relationship": "daughter"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(manage_url(journey), data, follow=True)

    assert "Carla Carer can now follow your journey." in response.content.decode()
    carla = User.objects.get(email=CARER_EMAIL)
    assert (carla.role, carla.clinic, carla.has_usable_password()) == (
        Role.CAREGIVER,
        journey.clinic,
        False,
    )
    grant = CaregiverGrant.objects.get(caregiver=carla)
    assert (grant.journey, grant.relationship, grant.granted_by) == (journey, "daughter", patient)
    message = mail.outbox[-1]
    assert message.to == [CARER_EMAIL]
    assert message.subject == "Pat Patient invited you to follow their care journey"
    assert LINK.search(message.body)
    actions = set(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True))
    assert {"caregiver.grant", "invitation.send"} <= actions


def test_the_invited_caregiver_sets_a_password_and_lands_on_the_journey(client, grant, journey):
    link = urlsplit(LINK.search(mail.outbox[-1].body).group(0)).path
    password = "waiting-room-teapot-19"

    response = client.post(link, {"password": password, "password_confirm": password}, follow=True)

    page = response.content.decode()
    assert "You are following Pat Patient" in page
    assert journey.procedure_name in page


def test_an_existing_caregiver_is_reused_and_told_by_email(
    invite, journey, stranger_journey, patient, stranger
):
    carla = make_user(CARER_EMAIL, Role.CAREGIVER, journey.clinic, "Carla Carer")
    invite(stranger_journey, stranger)

    invite(journey, patient)

    assert User.objects.filter(email=CARER_EMAIL).count() == 1
    assert Journey.objects.visible_to(carla).count() == 2
    message = mail.outbox[-1]
    assert message.subject == "Pat Patient shared their care journey with you"
    assert not LINK.search(message.body)
    assert carla.has_usable_password()


@pytest.mark.parametrize("who", ["stranger", "nurse"])
def test_an_email_of_someone_who_is_not_a_caregiver_is_refused(
    invite, journey, patient, request, who
):
    email = request.getfixturevalue(who).email

    with pytest.raises(ValidationError, match="cannot be used for a caregiver"):
        invite(journey, patient, email=email)

    assert not CaregiverGrant.objects.exists()
    assert not mail.outbox


def test_the_refusal_is_shown_on_the_email_field(client, patient, journey, stranger):
    client.force_login(patient)
    data = {"full_name": "Stan", "email": stranger.email, "relationship": ""}

    response = client.post(manage_url(journey), data)

    assert response.status_code == 200
    assert "This email address cannot be used for a caregiver." in response.content.decode()
    assert not CaregiverGrant.objects.exists()


def test_inviting_someone_who_already_follows_the_journey_is_refused(invite, grant, journey):
    with pytest.raises(ValidationError, match="can already follow this journey"):
        invite(journey, journey.patient)

    assert CaregiverGrant.objects.count() == 1


def test_only_the_patient_or_their_care_team_can_share_a_journey(
    invite, journey, stranger, other_clinic_nurse, caregiver
):
    for outsider in (stranger, other_clinic_nurse, caregiver):
        with pytest.raises(PermissionDenied):
            invite(journey, outsider, email="someone@family.example")
    assert CaregiverGrant.objects.count() == 1


def test_the_care_team_can_share_a_journey_too(invite, journey, nurse):
    grant = invite(journey, nurse)

    assert grant.granted_by == nurse


def test_the_patients_home_links_to_the_caregivers_page(client, patient, journey):
    client.force_login(patient)

    page = client.get(reverse("journeys:home")).content.decode()

    assert manage_url(journey) in page
    assert "People who can follow your journey" in page


def test_the_caregivers_page_lists_who_follows_and_ends_with_the_care_team(
    client, patient, grant, journey
):
    client.force_login(patient)

    page = client.get(manage_url(journey)).content.decode()

    assert "Carla Carer" in page
    assert "(daughter)" in page
    assert revoke_url(journey, grant) in page
    assert page.rindex("Call your care team") > page.rindex(revoke_url(journey, grant))


# What a caregiver sees


def test_a_caregiver_sees_the_patients_journey_read_only(caregiver_client, journey):
    response = caregiver_client.get(reverse("journeys:home"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "You are following Pat Patient" in page
    for stage in journey.stages.all():
        assert stage.title in page
    assert "/toggle/" not in page
    assert 'class="tick"' not in page
    assert "Call the care team at Test Spine Clinic" in page
    viewed = AuditEvent.objects.get(action="journey.view")
    assert (viewed.actor.email, viewed.patient) == (CARER_EMAIL, journey.patient)


def test_a_caregiver_sees_surgery_day_progress_with_the_times(
    caregiver_client, caregiver, journey, nurse
):
    clear_required_tests(journey)
    for step in (Step.CONSULTATION, Step.PREOP_TESTING, Step.PREPARATION):
        stage_complete(stage=journey.stages.get(step=step), by=nurse)
    surgery_day = journey.surgery_local()

    with time_machine.travel(surgery_day.replace(hour=10, minute=0), tick=False):
        anesthesia = journey.stages.get(step=Step.ANESTHESIA)
        stage_start(stage=anesthesia, by=nurse, at=surgery_day.replace(hour=8, minute=2))
        stage_complete(stage=anesthesia, by=nurse, at=surgery_day.replace(hour=8, minute=40))
        caregiver_client.force_login(caregiver)  # a session from weeks ago has expired
        page = caregiver_client.get(reverse("journeys:home")).content.decode()

    assert "started <time" in page
    assert ">08:02</time>" in page
    assert ">08:40</time>" in page
    assert 'aria-current="step"' in page


def test_a_caregiver_ticking_an_item_gets_404_and_the_attempt_is_audited(
    caregiver_client, caregiver, journey
):
    item = journey.checklist_items.filter(owner=Owner.PATIENT).first()

    response = caregiver_client.post(
        reverse("journeys:checklist-toggle", args=[journey.pk, item.pk]),
        {"done": "1"},
        REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 404
    item.refresh_from_db()
    assert not item.is_done
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor, denied.patient, denied.ip_address) == (
        caregiver,
        journey.patient,
        "198.51.100.7",
    )
    assert denied.detail == {"journey_id": journey.pk, "write": True}


def test_a_caregiver_can_neither_invite_nor_revoke(caregiver_client, grant, journey):
    data = {"full_name": "Eve", "email": "eve@family.example", "relationship": ""}

    assert caregiver_client.get(manage_url(journey)).status_code == 404
    assert caregiver_client.post(manage_url(journey), data).status_code == 404
    assert caregiver_client.post(revoke_url(journey, grant)).status_code == 404
    assert live(grant)
    assert not User.objects.filter(email="eve@family.example").exists()


def test_a_caregiver_cannot_open_staff_pages(caregiver_client, journey):
    assert caregiver_client.get(reverse("journeys:staff-worklist")).status_code == 403
    url = reverse("journeys:staff-journey", args=[journey.pk])
    assert caregiver_client.get(url).status_code == 403


def test_a_caregiver_never_sees_another_patients_journey(
    caregiver_client, stranger_journey, other_clinic_journey
):
    for other in (stranger_journey, other_clinic_journey):
        response = caregiver_client.get(reverse("journeys:journey", args=[other.pk]))
        assert response.status_code == 404
        assert other.patient.full_name not in response.content.decode()
    home = caregiver_client.get(reverse("journeys:home")).content.decode()
    assert stranger_journey.patient.full_name not in home
    assert AuditEvent.objects.filter(action="access.denied").count() == 2


def test_the_access_module_gives_a_caregiver_read_but_never_write(caregiver, journey):
    assert list(Journey.objects.visible_to(caregiver)) == [journey]
    assert not Journey.objects.writable_by(caregiver).exists()


def test_a_caregiver_of_several_patients_chooses_from_a_list(
    invite, caregiver_client, stranger_journey, stranger, journey
):
    invite(stranger_journey, stranger)

    page = caregiver_client.get(reverse("journeys:home")).content.decode()

    assert "Journeys you follow" in page
    assert reverse("journeys:journey", args=[journey.pk]) in page
    assert reverse("journeys:journey", args=[stranger_journey.pk]) in page
    chosen = caregiver_client.get(reverse("journeys:journey", args=[stranger_journey.pk]))
    assert "You are following Stan Stranger" in chosen.content.decode()


# Revoking


def test_a_revoked_caregiver_gets_404_at_once(client, caregiver, patient, grant, journey):
    journey_url = reverse("journeys:journey", args=[journey.pk])
    client.force_login(caregiver)
    assert client.get(journey_url).status_code == 200

    client.force_login(patient)
    response = client.post(revoke_url(journey, grant), follow=True)
    assert "Carla Carer can no longer follow this journey." in response.content.decode()

    client.force_login(caregiver)
    assert client.get(journey_url).status_code == 404
    assert "No journeys to follow" in client.get(reverse("journeys:home")).content.decode()
    grant.refresh_from_db()
    assert (grant.revoked_by, grant.revoked_at is not None) == (patient, True)
    revoked = AuditEvent.objects.get(action="caregiver.revoke")
    assert (revoked.actor, revoked.patient) == (patient, patient)


def test_a_caregiver_already_signed_in_loses_access_on_the_next_request(
    caregiver_client, patient, grant, journey
):
    journey_url = reverse("journeys:journey", args=[journey.pk])
    assert caregiver_client.get(journey_url).status_code == 200

    caregiver_revoke(grant=grant, by=patient)

    assert caregiver_client.get(journey_url).status_code == 404


def test_another_patient_cannot_revoke_someone_elses_grant(
    client, stranger, stranger_journey, grant, journey
):
    client.force_login(stranger)

    assert client.post(revoke_url(journey, grant)).status_code == 404
    # Their own journey's address with someone else's grant is no way round it.
    assert client.post(revoke_url(stranger_journey, grant)).status_code == 404
    assert live(grant)


def test_staff_revoke_from_the_staff_journey_page(client, nurse, grant, journey):
    client.force_login(nurse)
    staff_url = reverse("journeys:staff-journey", args=[journey.pk])
    assert revoke_url(journey, grant) in client.get(staff_url).content.decode()

    response = client.post(revoke_url(journey, grant))

    assert response.status_code == 302
    assert response.url == staff_url
    assert not live(grant)
    assert AuditEvent.objects.get(action="caregiver.revoke").actor == nurse


def test_another_clinics_staff_cannot_revoke(client, other_clinic_nurse, grant, journey):
    client.force_login(other_clinic_nurse)

    assert client.post(revoke_url(journey, grant)).status_code == 404
    assert live(grant)


def test_revoking_twice_says_so_and_keeps_the_first_revoke(client, patient, nurse, grant, journey):
    caregiver_revoke(grant=grant, by=nurse)
    client.force_login(patient)

    response = client.post(revoke_url(journey, grant), follow=True)

    assert "could no longer follow this journey already" in response.content.decode()
    grant.refresh_from_db()
    assert grant.revoked_by == nurse
    assert AuditEvent.objects.filter(action="caregiver.revoke").count() == 1


def test_a_revoked_caregiver_can_be_invited_again(invite, grant, journey, patient):
    caregiver_revoke(grant=grant, by=patient)

    again = invite(journey, patient)

    assert again.pk != grant.pk
    assert again.caregiver == grant.caregiver
    assert Journey.objects.visible_to(grant.caregiver).get() == journey


def test_a_caregiver_with_a_password_signs_in_and_sees_the_journey(
    client, journey, patient, invite
):
    make_user(CARER_EMAIL, Role.CAREGIVER, journey.clinic, "Carla Carer")
    invite(journey, patient)

    response = client.post(
        reverse("account_login"), {"login": CARER_EMAIL, "password": PASSWORD}, follow=True
    )

    assert "You are following Pat Patient" in response.content.decode()


def test_opening_the_caregivers_page_goes_on_the_patients_trail(client, patient, journey):
    client.force_login(patient)

    client.get(reverse("journeys:caregivers", args=[journey.pk]))

    event = AuditEvent.objects.get(action="journey.view", patient=patient)
    assert (event.actor, event.detail) == (patient, {"page": "caregivers"})
