"""CSV downloads: the worklist and a day's schedule, only what the user may see."""

import csv
import io
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse

from journeys.exports import safe_cell
from journeys.models import Appointment, AppointmentKind, AuditEvent, Role, User
from tests.conftest import make_user

WORKLIST_CSV = reverse("journeys:worklist-export")
SCHEDULE_CSV = reverse("journeys:schedule-export")


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


def table(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_worklist_csv_lists_the_clinics_patients_and_no_other(
    nurse_client, journey, stranger_journey, other_clinic_journey
):
    rows = table(nurse_client.get(WORKLIST_CSV))

    names = [row[0] for row in rows[1:]]
    assert sorted(names) == ["Pat Patient", "Stan Stranger"]
    assert rows[0][:4] == ["Patient", "Date of birth", "Procedure", "Surgeon"]
    assert other_clinic_journey.patient.full_name not in str(rows)


def test_the_worklist_csv_follows_the_filters_and_is_audited_once(
    nurse_client, journey, stranger_journey, nurse
):
    rows = table(nurse_client.get(WORKLIST_CSV, {"q": "stan"}))

    assert [row[0] for row in rows[1:]] == ["Stan Stranger"]
    event = AuditEvent.objects.get(action="worklist.export")
    assert event.actor == nurse
    assert event.detail["rows"] == 1
    assert event.detail["filters"] == {"q": "stan", "name": "stan"}
    assert event.description == "Downloaded the patient list"


def test_bad_filters_send_the_download_back_to_the_list_with_the_message(nurse_client, journey):
    response = nurse_client.get(WORKLIST_CSV, {"q": "31/31/1961"}, follow=True)

    assert "is not a date we can read" in response.content.decode()
    assert not AuditEvent.objects.filter(action="worklist.export").exists()


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_cell_that_a_spreadsheet_would_run_is_neutralised(nurse_client, journey, start):
    User.objects.filter(pk=journey.patient.pk).update(
        full_name=f'{start}HYPERLINK("http://evil.example","x")'
    )

    rows = table(nurse_client.get(WORKLIST_CSV))

    assert rows[1][0] == f'\'{start}HYPERLINK("http://evil.example","x")'


def test_safe_cell_leaves_ordinary_values_alone():
    assert [safe_cell(v) for v in ("Pat", 3, None, "a=b")] == ["Pat", "3", "", "a=b"]


@pytest.mark.parametrize("role", [Role.PATIENT, Role.CAREGIVER])
def test_patients_and_caregivers_cannot_download(client, clinic, journey, role):
    client.force_login(make_user(f"{role}@csv.example", role, clinic))

    assert client.get(WORKLIST_CSV).status_code == 403
    assert client.get(SCHEDULE_CSV, {"date": "2030-01-01"}).status_code == 403
    assert not AuditEvent.objects.filter(action__endswith=".export").exists()


def book(journey, day, at, kind=AppointmentKind.CONSULTATION):
    zone = journey.clinic.zone
    return Appointment.objects.create(
        journey=journey, kind=kind, starts_at=datetime.combine(day, at, tzinfo=zone)
    )


def test_the_schedule_csv_holds_the_clinics_appointments_of_that_local_day(
    nurse_client, journey, stranger_journey, other_clinic_journey, nurse
):
    day = journey.surgery_local().date() - timedelta(days=3)
    # 23:30 in Los Angeles is the next day in UTC: it still belongs to `day`.
    book(journey, day, time(23, 30))
    book(stranger_journey, day, time(8, 0))
    book(stranger_journey, day + timedelta(days=1), time(0, 30))
    book(other_clinic_journey, day, time(9, 0))

    rows = table(nurse_client.get(SCHEDULE_CSV, {"date": f"{day:%m/%d/%Y}"}))

    assert [(row[0][-5:], row[2]) for row in rows[1:]] == [
        ("08:00", "Stan Stranger"),
        ("23:30", "Pat Patient"),
    ]
    event = AuditEvent.objects.get(action="schedule.export")
    assert (event.actor, event.detail["rows"], event.detail["day"]) == (nurse, 2, str(day))


def test_a_schedule_day_that_is_no_date_gets_a_clear_message(nurse_client):
    response = nurse_client.get(SCHEDULE_CSV, {"date": "tomorrow"}, follow=True)

    assert response.status_code == 200
    assert "Day: Enter a valid date." in response.content.decode()
    assert not AuditEvent.objects.filter(action="schedule.export").exists()


def test_another_clinics_nurse_gets_none_of_this_clinics_rows(
    client, other_clinic_nurse, journey, other_clinic_journey
):
    client.force_login(other_clinic_nurse)
    day = journey.surgery_local().date()
    book(journey, day, time(10, 0))

    worklist = table(client.get(WORKLIST_CSV))
    schedule = table(client.get(SCHEDULE_CSV, {"date": day.isoformat()}))

    assert [row[0] for row in worklist[1:]] == [other_clinic_journey.patient.full_name]
    assert journey.patient.full_name not in str(schedule)
