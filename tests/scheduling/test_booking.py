"""Booking appointments: every refusal is clear and leaves nothing half-saved."""

import threading
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from journeys.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AuditEvent,
    PreopResult,
    Reminder,
    ReminderStatus,
    User,
)
from journeys.scheduling import (
    appointment_cancel,
    appointment_reschedule,
    follow_up_schedule,
    preop_result_record,
    preop_test_schedule,
    surgery_schedule,
    therapy_series_cancel,
    therapy_series_schedule,
)
from tests.scheduling.conftest import LA, at


def book_test(journey, test_type, by, start, minutes=45, **kwargs):
    return preop_test_schedule(
        journey=journey,
        test_type=test_type,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        by=by,
        **kwargs,
    )


def counts():
    return (Appointment.objects.count(), AuditEvent.objects.count(), Reminder.objects.count())


def refused(change):
    """Run `change`, expecting a refusal; return its messages, checking nothing was saved."""
    before = counts()
    with pytest.raises(ValidationError) as info:
        change()
    assert counts() == before
    return " ".join(info.value.messages)


def test_a_booked_test_is_audited_and_gets_its_reminder(journey, mri, coordinator):
    test = book_test(journey, mri, coordinator, at(2, 9))

    assert test.result == PreopResult.PENDING
    assert AuditEvent.objects.filter(
        action="appointment.schedule", patient=journey.patient
    ).exists()
    reminder = Reminder.objects.get(journey=journey, key=f"appointment:{test.pk}:day-before")
    assert reminder.status == ReminderStatus.PENDING


def test_an_appointment_in_the_past_is_refused(journey, mri, coordinator):
    message = refused(lambda: book_test(journey, mri, coordinator, at(1, 8)))

    assert "Mon 1 Mar 2027 08:00 is in the past" in message


def test_an_end_before_the_start_is_refused(journey, mri, coordinator):
    message = refused(lambda: book_test(journey, mri, coordinator, at(2, 9), minutes=-30))

    assert "The end (08:30) must be after the start (09:00)." in message


def test_a_zero_length_appointment_is_refused(journey, coordinator):
    message = refused(
        lambda: follow_up_schedule(
            journey=journey, starts_at=at(2, 9), ends_at=at(2, 9), by=coordinator
        )
    )

    assert "must be after the start" in message


def test_an_overlap_is_refused_naming_the_clash(journey, mri, coordinator):
    book_test(journey, mri, coordinator, at(2, 9))

    message = refused(
        lambda: follow_up_schedule(
            journey=journey, starts_at=at(2, 9, 30), ends_at=at(2, 10), by=coordinator
        )
    )

    assert message == "Overlaps MRI lumbar spine on Tue 2 Mar 09:00–09:45."


def test_a_surgery_known_only_by_its_enrolment_date_blocks_its_morning(journey, mri, coordinator):
    message = refused(lambda: book_test(journey, mri, coordinator, at(29, 9)))

    assert message == "Overlaps Surgery on Mon 29 Mar 07:30–11:30."
    assert not journey.appointments.exists()


def test_booking_the_surgery_itself_is_not_refused_by_its_own_date(journey, coordinator):
    surgery = surgery_schedule(
        journey=journey, starts_at=at(29, 8), ends_at=at(29, 11), by=coordinator
    )

    assert journey.appointments.get() == surgery


def test_back_to_back_appointments_do_not_overlap(journey, mri, coordinator):
    book_test(journey, mri, coordinator, at(2, 9))

    follow_up_schedule(journey=journey, starts_at=at(2, 9, 45), ends_at=at(2, 10), by=coordinator)

    assert journey.appointments.count() == 2


def test_a_cancelled_appointment_no_longer_blocks_its_time(journey, mri, coordinator):
    test = book_test(journey, mri, coordinator, at(2, 9))
    appointment_cancel(journey=journey, appointment=test, by=coordinator)

    book_test(journey, mri, coordinator, at(2, 9))

    assert journey.appointments.exclude(status=AppointmentStatus.CANCELLED).count() == 1


def test_another_patients_appointment_is_no_clash(journey, stranger_journey, mri, coordinator):
    book_test(stranger_journey, mri, coordinator, at(2, 9))

    book_test(journey, mri, coordinator, at(2, 9))

    assert journey.appointments.count() == 1


def test_a_test_from_another_clinics_catalogue_is_refused(journey, other_clinic, coordinator):
    theirs = other_clinic.test_types.first()

    message = refused(lambda: book_test(journey, theirs, coordinator, at(2, 9)))

    assert "not in this clinic's catalogue" in message


# Results


@pytest.fixture
def done_test(journey, mri, coordinator, clock):
    test = book_test(journey, mri, coordinator, at(2, 9))
    clock.move_to(at(2, 12))
    return test


def test_a_clinician_records_a_cleared_result(done_test, journey, nurse):
    preop_result_record(journey=journey, appointment=done_test, result="cleared", by=nurse)

    done_test.refresh_from_db()
    assert done_test.result == PreopResult.CLEARED
    assert done_test.status == AppointmentStatus.COMPLETED
    assert AuditEvent.objects.filter(action="appointment.result", actor=nurse).exists()


def test_needs_review_requires_a_note(done_test, journey, nurse):
    message = refused(
        lambda: preop_result_record(
            journey=journey, appointment=done_test, result="needs_review", note="  ", by=nurse
        )
    )

    assert message == "Say what needs review."
    done_test.refresh_from_db()
    assert done_test.result == PreopResult.PENDING


def test_a_result_for_a_test_never_scheduled_is_refused(journey, nurse):
    message = refused(
        lambda: preop_result_record(journey=journey, appointment=None, result="cleared", by=nurse)
    )

    assert "no such test scheduled" in message


def test_a_result_for_another_journeys_test_is_refused(
    journey, stranger_journey, mri, coordinator, nurse, clock
):
    theirs = book_test(stranger_journey, mri, coordinator, at(2, 9))
    clock.move_to(at(2, 12))

    message = refused(
        lambda: preop_result_record(journey=journey, appointment=theirs, result="cleared", by=nurse)
    )

    assert "no such test scheduled" in message
    theirs.refresh_from_db()
    assert theirs.result == PreopResult.PENDING


def test_a_result_for_something_that_is_not_a_test_is_refused(journey, coordinator, nurse, clock):
    visit = follow_up_schedule(
        journey=journey, starts_at=at(2, 9), ends_at=at(2, 9, 30), by=coordinator
    )
    clock.move_to(at(2, 12))

    message = refused(
        lambda: preop_result_record(journey=journey, appointment=visit, result="cleared", by=nurse)
    )

    assert "Only a pre-op test has a result" in message


def test_a_result_before_the_test_took_place_is_refused(journey, mri, coordinator, nurse):
    test = book_test(journey, mri, coordinator, at(2, 9))

    message = refused(
        lambda: preop_result_record(journey=journey, appointment=test, result="cleared", by=nurse)
    )

    assert "record its result once it has been done" in message


def test_coordinators_schedule_but_do_not_clear(done_test, journey, coordinator):
    message = refused(
        lambda: preop_result_record(
            journey=journey, appointment=done_test, result="cleared", by=coordinator
        )
    )

    assert "a clinician records their results" in message


# Surgery


def test_setting_the_surgery_moves_the_journey_and_its_appointment(journey, coordinator):
    surgery = surgery_schedule(
        journey=journey, starts_at=at(30, 8), ends_at=at(30, 12), by=coordinator
    )
    moved = surgery_schedule(
        journey=journey, starts_at=at(31, 8), ends_at=at(31, 11), by=coordinator
    )

    journey.refresh_from_db()
    assert moved.pk == surgery.pk
    assert journey.surgery_at == at(31, 8)
    assert moved.duration == timedelta(hours=3)
    assert journey.appointments.filter(kind=AppointmentKind.SURGERY).count() == 1
    assert AuditEvent.objects.filter(action="journey.surgery_moved").exists()


def test_moving_the_surgery_into_the_past_is_refused(journey, coordinator):
    message = refused(
        lambda: surgery_schedule(
            journey=journey, starts_at=at(1, 7), ends_at=at(1, 9), by=coordinator
        )
    )

    assert "is in the past" in message
    journey.refresh_from_db()
    assert journey.surgery_at == at(29, 7, 30)


def test_moving_the_surgery_onto_a_booked_test_is_refused(journey, mri, coordinator):
    book_test(journey, mri, coordinator, at(30, 9))

    message = refused(
        lambda: surgery_schedule(
            journey=journey, starts_at=at(30, 8), ends_at=at(30, 12), by=coordinator
        )
    )

    assert message == "Overlaps MRI lumbar spine on Tue 30 Mar 09:00–09:45."


def test_rescheduling_the_surgery_appointment_moves_the_surgery_date(journey, coordinator):
    surgery = surgery_schedule(
        journey=journey, starts_at=at(30, 8), ends_at=at(30, 12), by=coordinator
    )

    appointment_reschedule(
        journey=journey,
        appointment=surgery,
        starts_at=at(31, 8),
        ends_at=at(31, 12),
        by=coordinator,
    )

    journey.refresh_from_db()
    assert journey.surgery_at == at(31, 8)


def test_the_surgery_appointment_cannot_be_cancelled_on_its_own(journey, coordinator):
    surgery = surgery_schedule(
        journey=journey, starts_at=at(30, 8), ends_at=at(30, 12), by=coordinator
    )

    message = refused(
        lambda: appointment_cancel(journey=journey, appointment=surgery, by=coordinator)
    )

    assert "cannot be cancelled on its own" in message


# Reschedule and cancel: reminders follow


def test_rescheduling_moves_the_reminder_and_refuses_a_clash(journey, mri, coordinator):
    test = book_test(journey, mri, coordinator, at(3, 9))
    follow_up_schedule(journey=journey, starts_at=at(4, 9), ends_at=at(4, 9, 30), by=coordinator)
    key = f"appointment:{test.pk}:day-before"
    due_before = Reminder.objects.get(key=key).due_at

    appointment_reschedule(
        journey=journey, appointment=test, starts_at=at(5, 9), ends_at=at(5, 9, 45), by=coordinator
    )
    message = refused(
        lambda: appointment_reschedule(
            journey=journey,
            appointment=test,
            starts_at=at(4, 9, 15),
            ends_at=at(4, 10),
            by=coordinator,
        )
    )

    assert Reminder.objects.get(key=key).due_at == due_before + timedelta(days=2)
    assert message == "Overlaps Follow-up visit on Thu 4 Mar 09:00–09:30."
    test.refresh_from_db()
    assert test.starts_at == at(5, 9)


def test_cancelling_cancels_its_reminder(journey, mri, coordinator):
    test = book_test(journey, mri, coordinator, at(3, 9))

    appointment_cancel(journey=journey, appointment=test, by=coordinator)

    test.refresh_from_db()
    assert test.status == AppointmentStatus.CANCELLED
    reminder = Reminder.objects.get(key=f"appointment:{test.pk}:day-before")
    assert reminder.status == ReminderStatus.CANCELLED


def test_a_cancelled_appointment_cannot_be_cancelled_again(journey, mri, coordinator):
    test = book_test(journey, mri, coordinator, at(3, 9))
    appointment_cancel(journey=journey, appointment=test, by=coordinator)

    message = refused(lambda: appointment_cancel(journey=journey, appointment=test, by=coordinator))

    assert "is cancelled and can no longer be changed" in message


# Therapy series


def series(journey, by, **overrides):
    kwargs = {
        "journey": journey,
        "starts_at": at(8, 9),
        "ends_at": at(8, 9, 45),
        "sessions_per_week": 2,
        "weeks": 2,
        "weekdays": [0, 2],
        "by": by,
    }
    return therapy_series_schedule(**{**kwargs, **overrides})


def test_a_series_across_the_dst_change_keeps_its_local_time(journey, coordinator):
    """US daylight saving starts Sunday 14 March 2027: 09:00 stays 09:00 in Los Angeles."""
    sessions = series(journey, coordinator)

    local = [s.starts_at.astimezone(LA) for s in sessions]
    assert [(t.day, t.hour, t.minute) for t in local] == [
        (8, 9, 0),
        (10, 9, 0),
        (15, 9, 0),
        (17, 9, 0),
    ]
    utc_hours = [s.starts_at.astimezone(ZoneInfo("UTC")).hour for s in sessions]
    assert utc_hours == [17, 17, 16, 16]
    assert all(s.duration == timedelta(minutes=45) for s in sessions)
    assert Reminder.objects.filter(journey=journey, key__contains="therapy").exists()


def test_a_series_skips_the_given_dates(journey, coordinator):
    sessions = series(journey, coordinator, skip=[at(10, 0).date()])

    assert [s.starts_at.astimezone(LA).day for s in sessions] == [8, 15, 17]


def test_a_series_with_zero_sessions_a_week_is_refused(journey, coordinator):
    message = refused(lambda: series(journey, coordinator, sessions_per_week=0, weekdays=[]))

    assert message == "A series needs at least one session a week."


def test_a_series_whose_every_session_is_skipped_is_refused(journey, coordinator):
    skip = [at(8, 0).date(), at(10, 0).date()]

    message = refused(lambda: series(journey, coordinator, weeks=1, skip=skip))

    assert "nothing to book" in message


def test_weekdays_must_match_the_sessions_a_week(journey, coordinator):
    message = refused(lambda: series(journey, coordinator, sessions_per_week=3))

    assert "You chose 2 weekdays for 3 sessions a week" in message


def test_a_series_with_one_clash_books_nothing(journey, mri, coordinator):
    book_test(journey, mri, coordinator, at(15, 9, 30))

    message = refused(lambda: series(journey, coordinator))

    assert message == "Overlaps MRI lumbar spine on Mon 15 Mar 09:30–10:15."
    assert not journey.appointments.filter(kind=AppointmentKind.THERAPY).exists()


def test_a_series_starting_in_the_past_is_refused(journey, coordinator):
    message = refused(
        lambda: series(journey, coordinator, starts_at=at(1, 9), ends_at=at(1, 9, 45))
    )

    assert "is in the past" in message


def test_without_weekdays_a_series_uses_the_usual_spread(journey, coordinator):
    sessions = series(journey, coordinator, weekdays=[], weeks=1)

    assert [s.starts_at.astimezone(LA).strftime("%a") for s in sessions] == ["Tue", "Thu"]


def test_cancelling_a_series_cancels_the_sessions_to_come_only(journey, coordinator, clock):
    sessions = series(journey, coordinator)
    other = follow_up_schedule(
        journey=journey, starts_at=at(9, 9), ends_at=at(9, 9, 30), by=coordinator
    )
    clock.move_to(at(11, 12))

    cancelled = therapy_series_cancel(journey=journey, appointment=sessions[0], by=coordinator)

    statuses = [a.status for a in journey.appointments.filter(kind=AppointmentKind.THERAPY)]
    assert cancelled == 2
    assert statuses == ["scheduled", "scheduled", "cancelled", "cancelled"]
    other.refresh_from_db()
    assert other.status == AppointmentStatus.SCHEDULED
    later = Reminder.objects.filter(journey=journey, key__contains=str(sessions[3].pk))
    assert {r.status for r in later} == {ReminderStatus.CANCELLED}


def test_an_appointment_outside_a_series_has_no_series_to_cancel(journey, coordinator):
    visit = follow_up_schedule(
        journey=journey, starts_at=at(9, 9), ends_at=at(9, 9, 30), by=coordinator
    )

    message = refused(
        lambda: therapy_series_cancel(journey=journey, appointment=visit, by=coordinator)
    )

    assert message == "That appointment is not part of a series."


def test_a_follow_up_is_booked_in_the_clinic_zone(journey, coordinator):
    visit = follow_up_schedule(
        journey=journey,
        starts_at=at(2, 14),
        ends_at=at(2, 14, 20),
        by=coordinator,
    )

    assert visit.kind == AppointmentKind.FOLLOW_UP
    assert visit.starts_at.astimezone(LA).hour == 14


# Two bookings at once


def _waiting_locks():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_bookings_at_once_cannot_both_take_the_same_time(
    require_postgres, journey, coordinator
):
    """Another booking holds the patient and has inserted 09:00; ours must wait, then see it."""
    holding, release, outcome = threading.Event(), threading.Event(), {}

    def other_booking():
        try:
            with transaction.atomic():
                User.objects.select_for_update(of=("self",)).get(pk=journey.patient_id)
                Appointment.objects.create(
                    journey=journey,
                    kind=AppointmentKind.FOLLOW_UP,
                    starts_at=at(2, 9),
                    duration=timedelta(minutes=30),
                )
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def our_booking():
        try:
            follow_up_schedule(
                journey=journey, starts_at=at(2, 9, 15), ends_at=at(2, 9, 45), by=coordinator
            )
            outcome["saved"] = True
        except ValidationError as exc:
            outcome["refused"] = " ".join(exc.messages)
        except Exception as exc:  # Shown by the assertion below, not lost in the thread.
            outcome["error"] = repr(exc)
        finally:
            connection.close()

    first = threading.Thread(target=other_booking)
    first.start()
    assert holding.wait(timeout=30)
    second = threading.Thread(target=our_booking)
    second.start()
    deadline = time.monotonic() + 30
    while not _waiting_locks() and second.is_alive() and time.monotonic() < deadline:
        release.wait(timeout=0.01)  # Polls the condition; the outcome never depends on it.
    ours_waited = second.is_alive()
    release.set()
    first.join()
    second.join()

    assert ours_waited, "our booking did not wait for the one in progress"
    assert outcome == {"refused": "Overlaps Follow-up visit on Tue 2 Mar 09:00–09:30."}
    assert journey.appointments.count() == 1
