"""The coordinator's scheduling pages: one patient's bookings, the calendar, the worklist."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from journeys.enrolment import journey_enroll, journey_set_status
from journeys.models import (
    Appointment,
    AppointmentKind,
    AuditEvent,
    JourneyStatus,
    Location,
    PreopResult,
    PreopTestType,
    ProcedureTemplate,
    Role,
)
from journeys.scheduling import preop_result_record, preop_test_schedule
from tests.conftest import make_user
from tests.scheduling.conftest import LA, at


@pytest.fixture
def coordinator_client(clock, client, coordinator):
    # Signed in at the travelled-to time: sessions end 12 hours after sign-in.
    client.force_login(coordinator)
    return client


def url(name, *args):
    return reverse(f"journeys:{name}", args=args)


def slot(day, starts, ends, **extra):
    return {"day": f"2027-03-{day:02d}", "starts": starts, "ends": ends, **extra}


# Each booking form's prefix on the page, so its fields' ids are its own.
PREFIX = {
    "schedule-surgery": "surgery",
    "schedule-test": "test",
    "schedule-therapy": "therapy",
    "schedule-follow-up": "follow-up",
}


def book(client, name, journey, data, **kwargs):
    prefixed = {f"{PREFIX[name]}-{key}": value for key, value in data.items()}
    return client.post(url(name, journey.pk), prefixed, **kwargs)


def book_test(journey, test_type, by, start, minutes=45, location=None):
    return preop_test_schedule(
        journey=journey,
        test_type=test_type,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        by=by,
        location=location,
    )


# One patient's scheduling page


def test_a_booked_test_shows_its_prep_instructions_to_the_patient(
    coordinator_client, client, journey, mri, patient
):
    response = book(
        coordinator_client,
        "schedule-test",
        journey,
        slot(2, "09:00", "09:45", test_type=mri.pk),
        follow=True,
    )

    assert "Booked: MRI lumbar spine on Tue 2 Mar 09:00–09:45." in response.content.decode()
    client.force_login(patient)
    page = client.get(url("calendar", journey.pk)).content.decode()
    assert "Remove all metal." in page


def test_a_past_time_is_shown_next_to_the_date_and_nothing_is_saved(
    coordinator_client, journey, mri
):
    response = book(
        coordinator_client, "schedule-test", journey, slot(1, "08:00", "08:45", test_type=mri.pk)
    )

    assert response.status_code == 200
    assert response.context["test_form"].errors["day"] == [
        "Mon 1 Mar 2027 08:00 is in the past; choose a time to come."
    ]
    assert not Appointment.objects.exists()


def test_an_end_before_the_start_is_shown_next_to_the_end(coordinator_client, journey):
    response = book(coordinator_client, "schedule-follow-up", journey, slot(2, "10:00", "09:30"))

    assert response.context["follow_up_form"].errors["ends"] == [
        "The end (09:30) must be after the start (10:00)."
    ]
    assert not Appointment.objects.exists()


def test_an_overlap_is_shown_with_the_clashing_appointment(
    coordinator_client, journey, mri, coordinator
):
    book_test(journey, mri, coordinator, at(2, 9))

    response = book(coordinator_client, "schedule-follow-up", journey, slot(2, "09:15", "09:30"))

    assert "Overlaps MRI lumbar spine on Tue 2 Mar 09:00–09:45." in response.content.decode()
    assert Appointment.objects.count() == 1


def test_a_therapy_series_with_zero_sessions_is_refused_next_to_the_field(
    coordinator_client, journey
):
    data = slot(8, "09:00", "09:45", sessions_per_week=0, weeks=4)

    response = book(coordinator_client, "schedule-therapy", journey, data)

    assert response.context["therapy_form"].errors["sessions_per_week"] == [
        "A series needs at least one session a week."
    ]
    assert not Appointment.objects.exists()


def test_a_therapy_series_is_booked_from_the_form(coordinator_client, journey):
    data = slot(8, "09:00", "09:45", sessions_per_week=2, weeks=3, weekdays=["0", "2"])
    data["skip"] = "2027-03-10"

    response = book(coordinator_client, "schedule-therapy", journey, data, follow=True)

    assert "Therapy series booked: 5 sessions" in response.content.decode()
    local_days = [a.starts_at.astimezone(LA).day for a in Appointment.objects.order_by("starts_at")]
    assert local_days == [8, 15, 17, 22, 24]


def test_a_skip_date_that_is_not_a_date_is_refused(coordinator_client, journey):
    data = slot(8, "09:00", "09:45", sessions_per_week=2, weeks=3, skip="next tuesday")

    response = book(coordinator_client, "schedule-therapy", journey, data)

    assert "is not a date" in response.context["therapy_form"].errors["skip"][0]
    assert not Appointment.objects.exists()


def test_moving_the_surgery_into_the_past_is_refused_on_the_page(coordinator_client, journey):
    response = book(coordinator_client, "schedule-surgery", journey, slot(1, "07:00", "09:00"))

    assert "is in the past" in response.context["surgery_form"].errors["day"][0]
    journey.refresh_from_db()
    assert journey.surgery_at == at(29, 7, 30)


def test_the_surgery_is_moved_from_the_page(coordinator_client, journey):
    book(coordinator_client, "schedule-surgery", journey, slot(30, "08:00", "12:00"))

    journey.refresh_from_db()
    assert journey.surgery_at == at(30, 8)


def test_nurses_read_the_page_but_do_not_book(client, nurse, journey, mri):
    client.force_login(nurse)

    page = client.get(url("schedule", journey.pk))
    booking = book(client, "schedule-test", journey, slot(2, "09:00", "09:45", test_type=mri.pk))

    assert page.status_code == 200
    assert "Book a pre-op test" not in page.content.decode()
    assert booking.status_code == 403
    assert not Appointment.objects.exists()


def test_another_clinics_coordinator_gets_404(client, other_clinic, journey, mri):
    client.force_login(make_user("coord@other.example", Role.COORDINATOR, other_clinic))

    assert client.get(url("schedule", journey.pk)).status_code == 404
    booking = book(client, "schedule-test", journey, slot(2, "09:00", "09:45", test_type=mri.pk))
    assert booking.status_code == 404
    assert not Appointment.objects.exists()


def test_a_nurse_records_a_result_that_needs_review_only_with_a_note(
    client, nurse, journey, mri, coordinator, clock
):
    test = book_test(journey, mri, coordinator, at(2, 9))
    clock.move_to(at(2, 12))
    client.force_login(nurse)

    refused = client.post(
        url("appointment-result", journey.pk, test.pk), {"result": "needs_review"}
    )
    accepted = client.post(
        url("appointment-result", journey.pk, test.pk),
        {"result": "needs_review", "note": "Call the patient about the result"},
        follow=True,
    )

    assert refused.context["result_form"].errors["note"] == ["Say what needs review."]
    assert "MRI lumbar spine: Needs review." in accepted.content.decode()
    test.refresh_from_db()
    assert test.result_note == "Call the patient about the result"


def test_a_result_for_a_test_never_scheduled_is_refused_with_a_message(client, nurse, journey):
    client.force_login(nurse)

    response = client.post(
        url("appointment-result", journey.pk, 999999), {"result": "cleared"}, follow=True
    )

    assert (
        "This patient has no such test scheduled; nothing was recorded."
        in response.content.decode()
    )


def test_an_appointment_is_rescheduled_and_cancelled_from_its_page(
    coordinator_client, journey, mri, coordinator
):
    test = book_test(journey, mri, coordinator, at(2, 9))
    page = coordinator_client.get(url("appointment", journey.pk, test.pk)).content.decode()

    coordinator_client.post(
        url("appointment-reschedule", journey.pk, test.pk), slot(3, "10:00", "10:45")
    )
    coordinator_client.post(url("appointment-cancel", journey.pk, test.pk))

    assert "Remove all metal." in page
    test.refresh_from_db()
    assert test.starts_at == at(3, 10)
    assert test.status == "cancelled"


# The clinic's calendar


def crowd(clinic, coordinator, count, *, day=2):
    """`count` more patients, each with a test on `day` at one of two locations."""
    lab = Location.objects.get_or_create(clinic=clinic, name="Lab")[0]
    office = Location.objects.get_or_create(clinic=clinic, name="Office")[0]
    test_type = PreopTestType.objects.filter(clinic=clinic).first()
    procedure = clinic.procedures.get(name="Lumbar fusion (open)")
    for n in range(count):
        patient = make_user(f"crowd{n}@test.example", Role.PATIENT, clinic, f"Crowd {n}")
        journey = journey_enroll(
            patient=patient, procedure=procedure, by=coordinator, surgery_at=at(20 + n % 8, 7)
        )
        book_test(
            journey, test_type, coordinator, at(day, 8 + n % 9), location=(lab, office)[n % 2]
        )


def test_the_day_calendar_groups_by_location_with_prev_and_next(
    coordinator_client, journey, mri, coordinator, clinic
):
    crowd(clinic, coordinator, 2)
    book_test(journey, mri, coordinator, at(2, 11), location=clinic.locations.get(name="Lab"))

    page = coordinator_client.get(
        url("coordinator-calendar"), {"date": "2027-03-02"}
    ).content.decode()

    assert page.index("<h3>Lab</h3>") < page.index("Crowd 0") < page.index("Pat Patient")
    assert page.index("<h3>Office</h3>") < page.index("Crowd 1")
    assert "?date=2027-03-01&amp;view=day" in page
    assert "?date=2027-03-03&amp;view=day" in page
    assert f"{reverse('journeys:schedule-export')}?date=2027-03-02" in page


def test_the_week_calendar_starts_on_monday_and_shows_surgeries(coordinator_client, journey):
    page = coordinator_client.get(
        url("coordinator-calendar"), {"date": "2027-03-31", "view": "week"}
    ).content.decode()

    assert "Week of 29 Mar 2027" in page
    assert "07:30" in page and "Pat Patient" in page and "Surgery" in page
    assert "?date=2027-03-22&amp;view=week" in page


def test_the_calendar_shows_no_other_clinics_appointments(
    coordinator_client, journey, other_clinic_journey, other_clinic_nurse
):
    test_type = other_clinic_journey.required_tests.first()
    book_test(other_clinic_journey, test_type, other_clinic_nurse, at(2, 9))

    page = coordinator_client.get(
        url("coordinator-calendar"), {"date": "2027-03-02"}
    ).content.decode()

    assert other_clinic_journey.patient.full_name not in page


def test_the_calendar_shows_only_this_clinics_surgeries_still_to_happen(
    coordinator_client, journey, fusion, stranger, other_clinic, other_clinic_nurse, coordinator
):
    cancelled = journey_enroll(
        patient=stranger, procedure=fusion, by=coordinator, surgery_at=at(29, 9)
    )
    journey_set_status(
        journey=cancelled, status=JourneyStatus.CANCELLED, by=coordinator, reason="Moved away"
    )
    elsewhere = make_user("patient@other.example", Role.PATIENT, other_clinic, "Otto Elsewhere")
    journey_enroll(
        patient=elsewhere,
        procedure=ProcedureTemplate.objects.get(clinic=other_clinic, name=fusion.name),
        by=other_clinic_nurse,
        surgery_at=at(29, 11),
    )

    page = coordinator_client.get(
        url("coordinator-calendar"), {"date": "2027-03-29"}
    ).content.decode()

    # Only the journey's own surgery, set by date: not a cancelled one, not another clinic's.
    assert "Pat Patient" in page
    assert "Stan Stranger" not in page and "Otto Elsewhere" not in page


def test_the_calendar_links_each_entry_to_its_patients_bookings_and_its_appointment(
    coordinator_client, journey, mri, coordinator
):
    test = book_test(journey, mri, coordinator, at(29, 13))

    page = coordinator_client.get(
        url("coordinator-calendar"), {"date": "2027-03-29"}
    ).content.decode()

    # The test has a page of its own; the surgery, set only as a date, has none.
    assert f'<a href="{url("appointment", journey.pk, test.pk)}">MRI lumbar spine</a>' in page
    assert page.count(f'<a href="{url("schedule", journey.pk)}">Pat Patient</a>') == 2
    assert "<td>Surgery</td>" in page


def test_an_appointment_across_the_spring_forward_ends_at_its_real_time(
    coordinator_client, journey, mri, coordinator
):
    # 01:30 PST plus one hour is 03:30 PDT: at 02:00 the clocks jump to 03:00.
    start = at(14, 1, 30)
    preop_test_schedule(
        journey=journey,
        test_type=mri,
        starts_at=start,
        ends_at=start.astimezone(UTC) + timedelta(hours=1),
        by=coordinator,
    )

    page = coordinator_client.get(
        url("coordinator-calendar"), {"date": "2027-03-14"}
    ).content.decode()

    assert "01:30–03:30" in page


def test_appointments_at_the_same_time_and_place_are_listed_in_booking_order(
    coordinator_client, journey, mri, coordinator, clinic
):
    crowd(clinic, coordinator, 1)  # Crowd 0: a test at 08:00 in the Lab.
    book_test(journey, mri, coordinator, at(2, 8), location=clinic.locations.get(name="Lab"))

    page = coordinator_client.get(
        url("coordinator-calendar"), {"date": "2027-03-02"}
    ).content.decode()

    assert page.index("Crowd 0") < page.index("Pat Patient")


def test_the_calendar_runs_the_same_queries_for_many_appointments(
    coordinator_client, journey, mri, coordinator, clinic, django_assert_max_num_queries
):
    book_test(journey, mri, coordinator, at(2, 9))
    # Session, user (+clinic), second factor; appointments (+patient, location, test);
    # surgeries without a surgery appointment; one audit INSERT for every patient shown.
    # One spare.
    with django_assert_max_num_queries(7) as small:
        coordinator_client.get(url("coordinator-calendar"), {"date": "2027-03-02", "view": "week"})
    crowd(clinic, coordinator, 20)

    with django_assert_max_num_queries(7) as large:
        response = coordinator_client.get(
            url("coordinator-calendar"), {"date": "2027-03-02", "view": "week"}
        )

    assert "Crowd 19" in response.content.decode()
    assert len(large) == len(small)


# The coordinator's worklist


def test_the_worklist_lists_what_to_book_and_chase(
    coordinator_client, journey, coordinator, nurse, clock
):
    tests = {t.name: t for t in journey.required_tests.all()}
    pending = book_test(journey, tests["Blood count (CBC)"], coordinator, at(2, 9))
    early = book_test(journey, tests["Type and screen"], coordinator, at(2, 10))
    clock.move_to(at(3, 9))
    preop_result_record(journey=journey, appointment=early, result="cleared", by=nurse)
    clock.move_to(at(18, 9))
    coordinator_client.force_login(coordinator)

    page = coordinator_client.get(url("coordinator-worklist")).content.decode()

    assert "Book History and physical" in page
    assert "Blood count (CBC): result still pending" in page
    assert "Type and screen lapses before the surgery" in page  # 14 days from 2 Mar
    assert "Surgery soon and not ready" in page
    assert url("schedule", journey.pk) in page
    assert pending.result == PreopResult.PENDING


def test_a_ready_patient_is_not_on_the_worklist(
    coordinator_client, journey, coordinator, nurse, clock
):
    tests = list(journey.required_tests.all())
    booked = [book_test(journey, t, coordinator, at(20, 8 + n)) for n, t in enumerate(tests)]
    clock.move_to(at(22, 9))
    for test in booked:
        preop_result_record(journey=journey, appointment=test, result="cleared", by=nurse)
    coordinator_client.force_login(coordinator)

    page = coordinator_client.get(url("coordinator-worklist")).content.decode()

    assert "Nothing to book or chase." in page


def test_the_worklist_runs_the_same_queries_for_many_patients(
    coordinator_client, journey, coordinator, clinic, django_assert_max_num_queries
):
    # Session, user (+clinic), second factor; journeys (+patient, clinic), their required
    # tests, their pre-op appointments (+test type); one audit INSERT. One spare.
    with django_assert_max_num_queries(8) as small:
        coordinator_client.get(url("coordinator-worklist"))
    crowd(clinic, coordinator, 20)

    with django_assert_max_num_queries(8) as large:
        response = coordinator_client.get(url("coordinator-worklist"))

    assert "Crowd 19" in response.content.decode()
    assert len(large) == len(small)


def test_the_worklist_is_for_the_care_team_only(client, patient, journey):
    client.force_login(patient)

    assert client.get(url("coordinator-worklist")).status_code == 403


def test_a_follow_up_is_booked_from_the_page_in_the_clinic_zone(coordinator_client, journey):
    response = book(
        coordinator_client, "schedule-follow-up", journey, slot(5, "14:00", "14:20"), follow=True
    )

    visit = Appointment.objects.get(kind=AppointmentKind.FOLLOW_UP)
    assert visit.starts_at == at(5, 14)
    assert (
        "Follow-up booked: Follow-up visit on Fri 5 Mar 14:00–14:20." in response.content.decode()
    )


def test_the_rest_of_a_series_is_cancelled_from_a_sessions_page(coordinator_client, journey):
    data = slot(8, "09:00", "09:45", sessions_per_week=2, weeks=2, weekdays=["0", "2"])
    book(coordinator_client, "schedule-therapy", journey, data)
    first = Appointment.objects.order_by("starts_at").first()
    page = coordinator_client.get(url("appointment", journey.pk, first.pk)).content.decode()

    response = coordinator_client.post(url("series-cancel", journey.pk, first.pk), follow=True)

    assert "Cancel every session of this series still to come" in page
    assert "Cancelled 4 sessions still to come." in response.content.decode()
    assert set(Appointment.objects.values_list("status", flat=True)) == {"cancelled"}


def test_the_staff_journey_page_links_to_the_scheduling_page(client, nurse, journey):
    client.force_login(nurse)

    page = client.get(url("staff-journey", journey.pk)).content.decode()

    assert url("schedule", journey.pk) in page


def test_times_are_typed_and_shown_in_the_clinics_zone_not_the_servers(
    coordinator_client, journey, clinic, settings
):
    assert settings.TIME_ZONE != "America/New_York"
    clinic.time_zone = "America/New_York"
    clinic.save()

    book(coordinator_client, "schedule-follow-up", journey, slot(2, "09:00", "09:20"))
    page = coordinator_client.get(url("coordinator-calendar"), {"date": "2027-03-02"})

    visit = Appointment.objects.get()
    assert visit.starts_at == datetime(2027, 3, 2, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert "09:00–09:20" in page.content.decode()


def test_the_calendar_puts_each_patient_shown_on_their_access_trail(
    coordinator_client, journey, mri, coordinator, stranger_journey
):
    book_test(journey, mri, coordinator, at(2, 9))
    book_test(journey, mri, coordinator, at(2, 11))

    coordinator_client.get(url("coordinator-calendar"), {"date": "2027-03-02"})

    reads = AuditEvent.objects.filter(action="journey.view", actor=coordinator)
    assert [(e.patient_id, e.detail) for e in reads] == [(journey.patient_id, {"page": "calendar"})]


def test_every_field_on_the_scheduling_page_has_its_own_label(coordinator_client, journey):
    page = coordinator_client.get(url("schedule", journey.pk)).content.decode()

    ids = re.findall(r'\bid="([^"]+)"', page)
    labelled = re.findall(r'<label for="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert "id_test-day" in labelled and "id_therapy-day" in labelled
    assert set(labelled) <= set(ids)
