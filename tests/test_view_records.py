import json

from django.urls import reverse

from journeys.models import AuditEvent


def test_a_patient_sees_who_opened_their_record(client, patient, journey, nurse):
    client.force_login(nurse)
    client.get(reverse("journeys:staff-journey", args=[journey.pk]), REMOTE_ADDR="198.51.100.7")
    client.force_login(patient)

    page = client.get(reverse("journeys:my-access-log")).content.decode()

    assert f"{nurse.full_name} (Clinic staff)" in page
    assert "Opened the journey" in page
    # The patient sees who and when; the address is for the clinic's investigators.
    assert "198.51.100.7" not in page


def test_staff_see_a_patients_access_log_with_addresses(client, journey, nurse, stranger):
    client.force_login(nurse)
    client.get(reverse("journeys:staff-journey", args=[journey.pk]), REMOTE_ADDR="198.51.100.7")

    page = client.get(reverse("journeys:patient-access-log", args=[journey.pk])).content.decode()

    assert "198.51.100.7" in page
    assert journey.patient.full_name in page


def test_looking_at_the_access_log_is_itself_audited(client, patient, journey):
    client.force_login(patient)

    client.get(reverse("journeys:my-access-log"))

    assert AuditEvent.objects.filter(
        actor=patient, patient=patient, action="record.access_log"
    ).exists()


def test_staff_of_another_clinic_cannot_read_the_access_log(client, journey, other_clinic_nurse):
    client.force_login(other_clinic_nurse)

    response = client.get(reverse("journeys:patient-access-log", args=[journey.pk]))

    assert response.status_code == 404


def test_a_patient_downloads_their_own_record_and_nobody_elses(
    client, patient, journey, stranger_journey
):
    client.force_login(patient)

    response = client.get(reverse("journeys:my-export"))

    assert response["Content-Disposition"] == 'attachment; filename="spinecare-record.json"'
    data = json.loads(response.content)
    assert data["patient"]["email"] == patient.email
    assert [j["id"] for j in data["journeys"]] == [journey.pk]
    assert {s["journey_id"] for s in data["stages"]} == {journey.pk}
    assert len(data["checklist"]) == journey.checklist_items.count()
    assert stranger_journey.patient.email not in response.content.decode()
    assert AuditEvent.objects.filter(actor=patient, action="record.export").exists()


def test_staff_have_no_record_of_their_own_to_download(client, nurse):
    client.force_login(nurse)

    assert client.get(reverse("journeys:my-export")).status_code == 404
