"""The staff worklist: flags, filters, search, sort, pages and a fixed query count."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.bulk import seed_patients
from journeys.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AuditEvent,
    ChecklistItem,
    Journey,
    PreopResult,
    Reminder,
    ReminderStatus,
    Step,
    User,
)
from journeys.readiness import missing_tests
from journeys.transitions import stage_complete, stage_skip
from journeys.worklist import page_rows, page_with_flags, with_flags, worklist_journeys
from tests.conftest import make_user

WORKLIST = reverse("journeys:staff-worklist")


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


def rows(client, **params):
    response = client.get(WORKLIST, params)
    assert response.status_code == 200
    return response, response.content.decode()


def make_overdue(journey):
    item = journey.checklist_items.filter(done_at=None).first()
    ChecklistItem.objects.filter(pk=item.pk).update(
        due_date=timezone.localdate() - timedelta(days=2)
    )
    return item


def make_failed(journey):
    Reminder.objects.filter(journey=journey, key="journey:welcome").update(
        status=ReminderStatus.FAILED
    )


def test_each_row_shows_procedure_surgeon_date_step_and_flags(nurse_client, journey, nurse):
    Journey.objects.filter(pk=journey.pk).update(surgeon=nurse)
    make_overdue(journey)
    make_failed(journey)

    _, page = rows(nurse_client)

    assert journey.procedure_name in page
    assert "Nina Nurse" in page
    assert "Consultation" in page
    assert "1 overdue item" in page
    assert "1 failed reminder" in page
    assert "Pre-op test not scheduled" in page
    assert "Readiness gate blocked" in page


def test_an_overdue_item_of_a_skipped_step_is_not_counted(nurse_client, journey, nurse):
    item = journey.checklist_items.filter(done_at=None, stage__status="pending").first()
    ChecklistItem.objects.filter(pk=item.pk).update(
        due_date=timezone.localdate() - timedelta(days=2)
    )
    assert "1 overdue item" in rows(nurse_client)[1]

    stage_skip(stage=item.stage, by=nurse)

    assert "overdue item" not in rows(nurse_client)[1]


@pytest.mark.parametrize(
    "flag", ["overdue", "failed_reminders", "tests_uncleared", "gate_open", "tests_unscheduled"]
)
def test_a_flag_filter_keeps_only_the_patients_with_that_flag(
    nurse_client, journey, stranger_journey, flag
):
    if flag == "overdue":
        make_overdue(journey)
    elif flag == "failed_reminders":
        make_failed(journey)
    elif flag == "tests_uncleared":
        book_tests(journey, result=PreopResult.PENDING)
        book_tests(stranger_journey, result=PreopResult.CLEARED)
    elif flag == "gate_open":
        book_tests(journey, result=PreopResult.CLEARED)
    elif flag == "tests_unscheduled":
        book_tests(stranger_journey, result=PreopResult.CLEARED)

    _, page = rows(nurse_client, flag=flag)

    assert journey.patient.full_name in page
    assert stranger_journey.patient.full_name not in page


def book_tests(journey, *, result, days_before=5, status=AppointmentStatus.SCHEDULED):
    for test in journey.required_tests.all():
        Appointment.objects.create(
            journey=journey,
            kind=AppointmentKind.PREOP_TEST,
            test_type=test,
            starts_at=journey.surgery_at - timedelta(days=days_before),
            status=status,
            result=result,
        )


@pytest.mark.parametrize(
    "setup",
    [
        "nothing booked",
        "booked, no result",
        "needs review",
        "cleared",
        "cleared but expired",
        "cleared then cancelled",
        "no surgery date",
    ],
)
def test_the_worklist_flags_agree_with_the_readiness_gate(journey, nurse, setup):
    if setup == "booked, no result":
        book_tests(journey, result=PreopResult.PENDING)
    elif setup == "needs review":
        book_tests(journey, result=PreopResult.NEEDS_REVIEW)
    elif setup == "cleared":
        book_tests(journey, result=PreopResult.CLEARED)
    elif setup == "cleared but expired":
        book_tests(journey, result=PreopResult.CLEARED, days_before=400)
    elif setup == "cleared then cancelled":
        book_tests(journey, result=PreopResult.CLEARED, status=AppointmentStatus.CANCELLED)
    elif setup == "no surgery date":
        book_tests(journey, result=PreopResult.CLEARED)
        Journey.objects.filter(pk=journey.pk).update(surgery_at=None)
    journey.refresh_from_db()
    reasons = {m.reason for m in missing_tests(journey)}

    today = timezone.localdate()
    # The flags shown on a page, the same flags for an export, and what each filter
    # selects: all three must say what the gate says.
    (shown,) = page_with_flags(
        list(page_rows(worklist_journeys(nurse, today=today)).filter(pk=journey.pk)),
        today=today,
    )
    exported = with_flags(worklist_journeys(nurse, today=today), nurse, today=today).get(
        pk=journey.pk
    )

    def selected(flag):
        filtered = worklist_journeys(nurse, today=today, filters={"flag": flag})
        return filtered.filter(pk=journey.pk).exists()

    for row in (shown, exported):
        assert row.gate_blocked == bool(reasons)
        assert row.tests_unscheduled == ("not scheduled" in reasons)
        assert row.tests_uncleared == bool(reasons & {"no result yet", "result needs review"})
    assert selected("gate_blocked") == bool(reasons)
    assert selected("gate_open") == (not reasons)
    assert selected("tests_unscheduled") == ("not scheduled" in reasons)
    assert selected("tests_uncleared") == bool(reasons & {"no result yet", "result needs review"})


def test_filter_by_current_step(nurse_client, journey, stranger_journey, nurse):
    stage_complete(stage=journey.stages.get(step=Step.CONSULTATION), by=nurse)

    _, page = rows(nurse_client, step=Step.PREOP_TESTING)

    assert journey.patient.full_name in page
    assert stranger_journey.patient.full_name not in page


def test_filter_by_surgeon(nurse_client, journey, stranger_journey, clinic):
    surgeon = make_user("surgeon@test.example", "staff", clinic, "Sam Surgeon")
    Journey.objects.filter(pk=journey.pk).update(surgeon=surgeon)

    _, page = rows(nurse_client, surgeon=surgeon.pk)

    assert journey.patient.full_name in page
    assert stranger_journey.patient.full_name not in page


def test_filter_by_surgery_dates_in_the_clinics_days(nurse_client, journey, stranger_journey):
    day = journey.surgery_local().date()

    _, page = rows(nurse_client, surgery_from=day.isoformat(), surgery_to=f"{day:%m/%d/%Y}")

    assert journey.patient.full_name in page
    assert stranger_journey.patient.full_name not in page


def test_an_end_date_before_the_start_says_so(nurse_client, journey):
    _, page = rows(nurse_client, surgery_from="2030-05-02", surgery_to="2030-05-01")

    assert "The end date is before the start date." in page
    assert journey.patient.full_name not in page


def test_search_by_part_of_a_name(nurse_client, journey, stranger_journey):
    _, page = rows(nurse_client, q="pat pat")

    assert journey.patient.full_name in page
    assert stranger_journey.patient.full_name not in page


@pytest.mark.parametrize("typed", ["1961-04-12", "04/12/1961", " 04/12/1961 "])
def test_search_by_date_of_birth_in_the_clinics_formats(
    nurse_client, journey, stranger_journey, typed
):
    User.objects.filter(pk=journey.patient.pk).update(date_of_birth="1961-04-12")
    User.objects.filter(pk=stranger_journey.patient.pk).update(date_of_birth="1961-12-04")

    _, page = rows(nurse_client, q=typed)

    assert journey.patient.full_name in page
    assert stranger_journey.patient.full_name not in page


@pytest.mark.parametrize("typed", ["13/45/1961", "1961-02-30", "1961"])
def test_a_date_of_birth_that_is_no_date_gets_a_clear_message(nurse_client, journey, typed):
    _, page = rows(nurse_client, q=typed)

    assert "is not a date we can read" in page
    assert "1961-04-12 or 04/12/1961" in page
    assert journey.patient.full_name not in page


def test_sort_by_name_and_refuse_an_unknown_sort(nurse_client, journey, stranger_journey):
    Journey.objects.filter(pk=stranger_journey.pk).update(
        surgery_at=journey.surgery_at - timedelta(days=10)
    )
    _, page = rows(nurse_client)
    assert page.index("Stan Stranger") < page.index("Pat Patient")
    _, page = rows(nurse_client, sort="name")
    assert page.index("Pat Patient") < page.index("Stan Stranger")

    _, page = rows(nurse_client, sort="patient__password")

    assert "Select a valid choice." in page


def test_sort_by_step_follows_the_journeys_order_of_steps(
    nurse_client, journey, stranger_journey, nurse
):
    stage_complete(stage=journey.stages.get(step=Step.CONSULTATION), by=nurse)

    _, page = rows(nurse_client, sort="step")

    assert page.index("Stan Stranger") < page.index("Pat Patient")


def test_patients_and_caregivers_cannot_open_the_worklist(client, patient):
    client.force_login(patient)

    assert client.get(WORKLIST).status_code == 403


def test_another_clinics_patients_never_appear(nurse_client, journey, other_clinic_journey):
    _, page = rows(nurse_client)

    assert journey.patient.full_name in page
    assert other_clinic_journey.patient.full_name not in page


def test_the_worklist_runs_the_same_queries_for_10_and_2000_patients(
    require_postgres, client, clinic, nurse, django_assert_max_num_queries
):
    client.force_login(nurse)
    seed_patients(clinic=clinic, n=10, by=nurse)
    params = {"flag": "gate_blocked", "sort": "step", "q": "a", "page": "1"}
    # Session, user (+clinic, +second factor), the count, the page of rows, the
    # current stages, the flag counts, required tests, pre-op appointments, the audit
    # insert, the clinic's test validity windows (the flag filter), the surgeon choices.
    with django_assert_max_num_queries(12) as small:
        response = client.get(WORKLIST, params)
    assert response.status_code == 200

    seed_patients(clinic=clinic, n=1990, by=nurse)
    with django_assert_max_num_queries(12) as large:
        response = client.get(WORKLIST, {**params, "page": "2"})

    assert len(large) == len(small)
    # The surgeon choices are one plain query, not a server-side cursor (DECLARE, then
    # fetches and a close, for a list of a few names).
    assert not [query for query in large if query["sql"].startswith("DECLARE")]
    page = response.context["page"]
    assert page.paginator.count > 100
    assert len(page.object_list) == 50
    assert 'rel="next"' in response.content.decode()


def test_the_pages_split_the_list_and_a_page_past_the_end_shows_the_last(client, clinic, nurse):
    client.force_login(nurse)
    seed_patients(clinic=clinic, n=120, by=nurse)
    listed = list(worklist_journeys(nurse, today=timezone.localdate()).values_list("pk", flat=True))
    last = (len(listed) + 49) // 50

    def shown(page):
        response, html = rows(client, page=page)
        ids = [j.pk for j in response.context["page"].object_list]
        return ids, html

    pages = [shown(n) for n in range(1, last + 1)]
    assert [pk for ids, _html in pages for pk in ids] == listed  # every row once, in order
    assert f"{len(listed)} patients" in pages[0][1]
    assert f"Page 2 of {last}" in pages[1][1]
    assert shown(99)[0] == pages[-1][0]  # past the end: the last page
    assert shown("x")[0] == pages[0][0]  # not a number: the first page


def test_the_export_holds_every_page_of_the_filtered_list(require_postgres, client, clinic, nurse):
    client.force_login(nurse)
    seed_patients(clinic=clinic, n=120, by=nurse)
    params = {"flag": "gate_blocked"}
    expected = worklist_journeys(
        nurse, today=timezone.localdate(), filters={"flag": "gate_blocked"}
    ).count()

    response = client.get(reverse("journeys:worklist-export"), params)

    assert expected > 50
    assert len(response.content.decode().strip().splitlines()) == expected + 1


def test_opening_the_worklist_is_recorded_in_each_listed_patients_access_log(
    nurse_client, nurse, journey, stranger_journey, other_clinic_journey
):
    rows(nurse_client)

    viewed = AuditEvent.objects.filter(action="journey.view", actor=nurse)
    assert set(viewed.values_list("patient", flat=True)) == {
        journey.patient_id,
        stranger_journey.patient_id,
    }
    assert all(event.detail == {"page": "worklist"} for event in viewed)
