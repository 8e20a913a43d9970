"""The preparation sheet: medicines, eating and drinking, what to bring and arrival,
computed with the planner's own arithmetic, so it agrees with the reminders."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from journeys.enrolment import journey_enroll
from journeys.medications import journey_medication_add
from journeys.models import AuditEvent, Medication, Reminder
from journeys.planning import FastingFact, JourneyFacts, MedicationFact, day_label
from journeys.preparation import ARRIVAL, BRING, EATING, MEDICINES, preparation_sheet
from journeys.reconcile import journey_facts
from tests.conftest import grow

PHONE = "(555) 123-4567"
LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def formulary(clinic, name, use=""):
    return Medication.objects.get(clinic=clinic, name=name, use=use)


def url(journey):
    return reverse("journeys:preparation", args=[journey.pk])


def sheet_for(journey):
    journey.refresh_from_db()
    return preparation_sheet(journey_facts(journey))


def section(sheet, key):
    return next(s for s in sheet.sections if s.key == key)


def reminder(journey, key):
    return Reminder.objects.get(journey=journey, key=key)


def test_a_formulary_medicine_stops_on_the_day_its_stop_reminder_is_due(
    patient_client, journey, nurse, clinic
):
    aspirin = formulary(clinic, "Aspirin", "no heart or stroke history")
    item = journey_medication_add(journey=journey, by=nurse, medication=aspirin)

    stop_day = reminder(journey, f"med:{item.pk}:stop").due_at.astimezone(clinic.zone).date()
    (line,) = section(sheet_for(journey), MEDICINES).lines
    assert line.label == "Aspirin, last dose"
    assert line.when == day_label(stop_day - timedelta(days=1))
    assert f"Do not take it from {day_label(stop_day)} until your care team says so" in line.text
    page = patient_client.get(url(journey)).content.decode()
    assert f"Do not take it from {day_label(stop_day)}" in page


def test_an_hour_hold_shows_the_last_dose_time_of_the_stop_reminder(journey, nurse, clinic):
    enoxaparin = formulary(clinic, "Enoxaparin (Lovenox)", "preventive dose")
    item = journey_medication_add(journey=journey, by=nurse, medication=enoxaparin)

    cutoff = journey.surgery_at - timedelta(hours=12)
    body = reminder(journey, f"med:{item.pk}:stop").body
    local = cutoff.astimezone(clinic.zone)
    assert f"before {local:%H:%M} on {day_label(local.date())}" in body
    (line,) = section(sheet_for(journey), MEDICINES).lines
    assert line.when == f"{day_label(local.date())}, {local:%H:%M}"


def test_a_prescriber_decides_medicine_says_ask_your_prescriber(
    patient_client, journey, nurse, clinic
):
    warfarin = formulary(clinic, "Warfarin (Coumadin)")
    journey_medication_add(journey=journey, by=nurse, medication=warfarin)

    (line,) = section(sheet_for(journey), MEDICINES).lines
    assert "Ask your prescriber before stopping Warfarin (Coumadin)" in line.text
    assert "Do not take it from" not in line.text
    assert (
        "Ask your prescriber before stopping" in patient_client.get(url(journey)).content.decode()
    )


def test_fasting_times_are_the_fasting_reminders_cut_offs(journey, clinic):
    whens = {line.label: line.when for line in section(sheet_for(journey), EATING).lines}

    for label, key in (
        ("Last solid food", "fasting:solids"),
        ("Last clear liquids", "fasting:clear-liquids"),
    ):
        time_, day = re.search(
            r"after (\d\d:\d\d) on (.+?)\.", reminder(journey, key).body
        ).groups()
        assert whens[label] == f"{day}, {time_}"
    lines = section(sheet_for(journey), EATING).lines
    assert "No food, milk or chewing gum after" in lines[0].text  # the clinic's own words


def test_arrival_is_the_surgery_time_minus_the_clinic_lead_in_clinic_time(journey, clinic):
    clinic.arrival_lead_minutes = 90
    clinic.save()

    (line,) = section(sheet_for(journey), ARRIVAL).lines

    arrive = (journey.surgery_at - timedelta(minutes=90)).astimezone(clinic.zone)
    assert line.when == f"{day_label(arrive.date())}, {arrive:%H:%M}"
    assert f"Please arrive at {arrive:%H:%M}" in line.text
    assert "Main hospital" in line.text or clinic.name in line.text


def test_every_instruction_points_to_the_care_team_phone(patient_client, journey, nurse, clinic):
    for name, use in (("Aspirin", "no heart or stroke history"), ("Warfarin (Coumadin)", "")):
        journey_medication_add(journey=journey, by=nurse, medication=formulary(clinic, name, use))

    sheet = sheet_for(journey)
    lines = [line for s in sheet.sections for line in s.lines]
    assert {s.key for s in sheet.sections if s.lines} == {MEDICINES, EATING, BRING, ARRIVAL}
    assert all(line.full.endswith(f"Questions? Call your care team at {PHONE}.") for line in lines)
    bring = " ".join(line.text for line in section(sheet, BRING).lines)
    assert all(word in bring for word in ("photo ID", "insurance card", "CPAP"))

    page = patient_client.get(url(journey)).content.decode()
    items = re.findall(r"<li>(.*?)</li>", page.split('class="prep-lines"', 1)[1], re.S)
    assert len(items) == len(lines)
    assert all(PHONE in item for item in items)
    assert "<script" not in page and "onclick" not in page
    assert "Print" in page


def test_without_a_surgery_date_the_sheet_says_it_will_come(client, patient, fusion, nurse):
    journey = journey_enroll(patient=patient, procedure=fusion, by=nurse)
    client.force_login(patient)

    response = client.get(url(journey))

    assert response.status_code == 200
    page = response.content.decode()
    assert "We will make your sheet when your surgery date is set" in page
    assert PHONE in page
    assert "prep-lines" not in page


def test_the_sheet_is_linked_from_home_and_audited(patient_client, journey):
    assert url(journey) in patient_client.get(reverse("journeys:home")).content.decode()

    patient_client.get(url(journey))

    event = AuditEvent.objects.filter(action="journey.view").latest("id")
    assert (event.actor, event.patient) == (journey.patient, journey.patient)
    assert event.detail.get("page") == "preparation"


def test_another_patients_sheet_is_not_found(patient_client, stranger_journey):
    assert patient_client.get(url(stranger_journey)).status_code == 404


def test_the_page_runs_the_same_queries_however_many_medicines(
    patient_client, journey, nurse, clinic, django_assert_max_num_queries
):
    journey_medication_add(journey=journey, by=nurse, medication=formulary(clinic, "Ginkgo"))
    with django_assert_max_num_queries(20) as small:
        assert patient_client.get(url(journey)).status_code == 200
    for med in Medication.objects.filter(clinic=clinic).exclude(name="Ginkgo")[:8]:
        journey_medication_add(journey=journey, by=nurse, medication=med)
    grow(journey, nurse, patients=2, items=10)

    with django_assert_max_num_queries(20) as large:
        response = patient_client.get(url(journey))

    assert response.content.decode().count("Questions? Call your care team") >= 9
    assert len(large) == len(small)


def test_spring_forward_monday_shows_local_cut_offs(patient, fusion, nurse, clinic):
    # Clocks went forward at 02:00 on Sunday 14 March 2027.
    surgery = datetime(2027, 3, 15, 7, 30, tzinfo=LA)
    journey = journey_enroll(patient=patient, procedure=fusion, by=nurse, surgery_at=surgery)
    journey_medication_add(journey=journey, by=nurse, medication=formulary(clinic, "Ginkgo"))

    sheet = sheet_for(journey)

    eating = {line.label: line.when for line in section(sheet, EATING).lines}
    # Arrival 05:30 PDT; 8 real hours earlier is 21:30 PDT on Sunday.
    assert eating["Last solid food"] == "Sunday 14 March, 21:30"
    assert eating["Last clear liquids"] == "Monday 15 March, 03:30"
    assert section(sheet, ARRIVAL).lines[0].when == "Monday 15 March, 05:30"
    # 36 real hours before 07:30 PDT Monday is 18:30 PST Saturday, not 19:30.
    assert section(sheet, MEDICINES).lines[0].when == "Saturday 13 March, 18:30"
    assert sheet.surgery_when == "Monday 15 March, 07:30"


def test_the_sheet_is_pure_and_uses_the_clinic_rules():
    facts = JourneyFacts(
        journey_id=1,
        zone=LA,
        clinic_name="Clinic",
        clinic_phone="(555) 000-1111",
        channel="email",
        active=True,
        surgery_at=datetime(2027, 3, 15, 14, 30, tzinfo=UTC),  # 07:30 PDT
        fasting_rules=(FastingFact(1, "solids", "midnight", 0, "Nothing to eat"),),
        medications=(
            MedicationFact(5, "Metformin", "auto", datetime(2027, 1, 1, tzinfo=UTC), hold_days=0),
            MedicationFact(6, "Celecoxib", "continue", datetime(2027, 1, 1, tzinfo=UTC)),
        ),
    )

    sheet = preparation_sheet(facts)

    (solids,) = section(sheet, EATING).lines
    assert solids.when == "Monday 15 March, 00:00"
    metformin, celecoxib = section(sheet, MEDICINES).lines
    assert "Do not take Metformin on the day of your surgery, Monday 15 March" in metformin.text
    assert "Keep taking Celecoxib" in celecoxib.text
    assert all("(555) 000-1111" in line.full for s in sheet.sections for line in s.lines)
