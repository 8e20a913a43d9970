from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from journeys.models import AuditEvent, Reminder, ReminderStatus, Role, StageStatus, Step
from journeys.notes import note_add
from journeys.transitions import (
    stage_block,
    stage_complete,
    stage_reopen,
    stage_skip,
    stage_start,
)
from tests.conftest import clear_required_tests, grow, make_user


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


def stage_url(journey, step):
    stage = journey.stages.get(step=step)
    return stage, reverse("journeys:stage-action", args=[journey.pk, stage.pk])


def test_worklist_lists_the_clinics_patients_only(
    nurse_client, journey, stranger_journey, other_clinic_journey
):
    page = nurse_client.get(reverse("journeys:staff-worklist")).content.decode()

    assert journey.patient.full_name in page
    assert stranger_journey.patient.full_name in page
    assert other_clinic_journey.patient.full_name not in page


def test_nurse_marks_the_current_stage_done(nurse_client, journey):
    stage, url = stage_url(journey, Step.CONSULTATION)

    response = nurse_client.post(url, {"action": "complete", "version": stage.version}, follow=True)

    stage.refresh_from_db()
    assert stage.status == StageStatus.DONE
    assert "Consultation: Done." in response.content.decode()


def test_marking_a_done_stage_done_again_says_so_and_changes_nothing(nurse_client, journey):
    stage, url = stage_url(journey, Step.CONSULTATION)
    nurse_client.post(url, {"action": "complete", "version": stage.version})
    stage.refresh_from_db()

    response = nurse_client.post(url, {"action": "complete", "version": stage.version}, follow=True)

    assert "is already done" in response.content.decode()
    assert stage.events.count() == 1


def test_a_stale_form_is_refused_with_a_clear_message(nurse_client, journey):
    stage, url = stage_url(journey, Step.CONSULTATION)
    loaded = stage.version
    nurse_client.post(url, {"action": "block", "reason": "Waiting", "version": loaded})

    response = nurse_client.post(url, {"action": "complete", "version": loaded}, follow=True)

    page = response.content.decode()
    assert "“Consultation” was changed by Nina Nurse at " in page
    assert "Here is its current state: on hold." in page
    stage.refresh_from_db()
    assert stage.status == StageStatus.BLOCKED
    assert stage.events.filter(to_status=StageStatus.DONE).count() == 0


def test_a_stale_form_names_the_colleague_and_the_clinic_time(client, journey, nurse, clinic):
    colleague = make_user("ana@test.example", Role.STAFF, clinic, "Nurse Ana")
    stage, url = stage_url(journey, Step.CONSULTATION)
    seen = stage.version
    changed_at = stage.started_at + timedelta(minutes=7)
    with time_machine.travel(changed_at + timedelta(minutes=30), tick=False):
        stage_block(stage=stage, by=colleague, reason="Records missing", at=changed_at)
        client.force_login(nurse)

        response = client.post(url, {"action": "complete", "version": seen}, follow=True)

    clinic_time = f"{changed_at.astimezone(clinic.zone):%H:%M}"
    assert f"“Consultation” was changed by Nurse Ana at {clinic_time}" in response.content.decode()


@pytest.mark.parametrize(
    "step, colleague_does, posted",
    [
        (Step.CONSULTATION, stage_block, {"action": "complete"}),
        (Step.CONSULTATION, stage_complete, {"action": "block", "reason": "Waiting"}),
        (Step.PREOP_TESTING, stage_skip, {"action": "start"}),
        (Step.PREOP_TESTING, stage_start, {"action": "skip"}),
        (Step.CONSULTATION, "reopened", {"action": "reopen", "reason": "Missed a scan"}),
    ],
)
def test_every_stage_action_from_a_stale_page_is_refused(
    nurse_client, journey, clinic, step, colleague_does, posted
):
    colleague = make_user("ana@test.example", Role.STAFF, clinic, "Nurse Ana")
    stage, url = stage_url(journey, step)
    if colleague_does == "reopened":
        stage_complete(stage=stage, by=colleague)
        stage.refresh_from_db()
    seen = stage.version
    if colleague_does == "reopened":
        stage_reopen(stage=stage, by=colleague, reason="Wrong patient")
    else:
        colleague_does(stage=stage, by=colleague, reason="Records missing")
    stage.refresh_from_db()
    before = (stage.status, stage.version)

    response = nurse_client.post(url, {**posted, "version": seen}, follow=True)

    assert "was changed by Nurse Ana at " in response.content.decode()
    stage.refresh_from_db()
    assert (stage.status, stage.version) == before


def test_completing_a_step_queues_a_plain_message_for_the_patient(
    nurse_client, journey, mailoutbox, django_capture_on_commit_callbacks
):
    stage, url = stage_url(journey, Step.CONSULTATION)

    with django_capture_on_commit_callbacks(execute=True):
        nurse_client.post(url, {"action": "complete", "version": stage.version})

    notice = journey.reminders.get(key=f"stage:{stage.pk}:done")
    assert notice.status == ReminderStatus.PENDING
    assert notice.subject == "Step completed: Consultation"
    assert "Sign in to see your next step." in notice.body
    # The outbox row is the promise; the request itself sends nothing.
    assert mailoutbox == []


def test_state_changes_need_post(nurse_client, journey):
    _, url = stage_url(journey, Step.CONSULTATION)

    assert nurse_client.get(url).status_code == 405


def test_staff_of_another_clinic_get_404_and_change_nothing(client, other_clinic_nurse, journey):
    client.force_login(other_clinic_nurse)
    stage, url = stage_url(journey, Step.CONSULTATION)

    assert client.get(reverse("journeys:staff-journey", args=[journey.pk])).status_code == 404
    assert client.post(url, {"action": "complete"}).status_code == 404
    stage.refresh_from_db()
    assert stage.status == StageStatus.ACTIVE


def test_staff_journey_page_runs_a_fixed_number_of_queries(
    nurse_client, journey, nurse, django_assert_max_num_queries
):
    url = reverse("journeys:staff-journey", args=[journey.pk])
    # 11 queries: session, user (+clinic, +has a second factor), journey (+patient,
    # clinic, location, medicine counts), stages (+their history), items, appointments,
    # required tests, reminders, audit insert, caregiver grants, notes (+their authors).
    # The medicines and the formulary have their own page.
    with django_assert_max_num_queries(11) as small:
        nurse_client.get(url)
    grow(journey, nurse)
    note_add(journey=journey, by=nurse, text="Shared", visible_to_patient=True)
    note_add(journey=journey, by=nurse, text="Internal")

    with django_assert_max_num_queries(11) as large:
        response = nurse_client.get(url)

    assert response.status_code == 200
    assert "Extra item 29" in response.content.decode()
    assert len(large) == len(small)


def test_the_staff_page_says_who_moved_each_step_and_why(nurse_client, journey, nurse):
    stage_block(
        stage=journey.stages.get(step=Step.CONSULTATION), by=nurse, reason="Waiting for scans"
    )

    page = nurse_client.get(reverse("journeys:staff-journey", args=[journey.pk])).content.decode()

    assert '<span class="badge">On hold</span>' in page
    assert "Nina Nurse: In progress → On hold (Waiting for scans)</li>" in page


def post(client, name, journey, data, *args):
    return client.post(reverse(f"journeys:{name}", args=[journey.pk, *args]), data, follow=True)


def item_data(journey, **overrides):
    preparation = journey.stages.get(step=Step.PREPARATION)
    data = {
        "stage": preparation.pk,
        "text": "Bring your CPAP machine",
        "owner": "patient",
        "anchor": "surgery",
        "offset_days": "-1",
        "required": "on",
    }
    return {**data, **overrides}


def test_nurse_adds_an_item_to_one_journey_with_a_concrete_due_date(
    nurse_client, journey, stranger_journey
):
    response = post(nurse_client, "checklist-add", journey, item_data(journey))

    item = journey.checklist_items.get(text="Bring your CPAP machine")
    assert item.due_date == journey.surgery_local().date() - timedelta(days=1)
    assert "Added to the checklist: Bring your CPAP machine" in response.content.decode()
    assert not stranger_journey.checklist_items.filter(text=item.text).exists()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"text": ""}, "This field is required."),
        ({"offset_days": "-60"}, "before the patient was enrolled"),
        ({"offset_days": "soon"}, "Enter a whole number."),
        ({"owner": "surgeon-in-chief"}, "Select a valid choice."),
    ],
)
def test_bad_item_input_gets_a_clear_message_and_saves_nothing(
    nurse_client, journey, overrides, message
):
    count = journey.checklist_items.count()

    response = post(nurse_client, "checklist-add", journey, item_data(journey, **overrides))

    assert message in response.content.decode()
    assert journey.checklist_items.count() == count


def test_an_item_cannot_be_added_to_another_journeys_step(nurse_client, journey, stranger_journey):
    foreign_stage = stranger_journey.stages.get(step=Step.PREPARATION)
    count = journey.checklist_items.count() + stranger_journey.checklist_items.count()

    response = post(
        nurse_client, "checklist-add", journey, item_data(journey, stage=foreign_stage.pk)
    )

    assert "Select a valid choice." in response.content.decode()
    assert journey.checklist_items.count() + stranger_journey.checklist_items.count() == count


def test_nurse_removes_an_item_and_another_clinic_cannot(
    client, nurse, other_clinic_nurse, journey
):
    item = journey.checklist_items.first()
    client.force_login(other_clinic_nurse)
    assert post(client, "checklist-remove", journey, {}, item.pk).status_code == 404
    assert journey.checklist_items.filter(pk=item.pk).exists()

    client.force_login(nurse)
    response = post(client, "checklist-remove", journey, {}, item.pk)

    assert f"Removed from the checklist: {item.text}" in response.content.decode()
    assert not journey.checklist_items.filter(pk=item.pk).exists()


def test_nurse_ticks_a_care_team_item_and_stays_on_the_patient(nurse_client, journey, nurse):
    item = journey.checklist_items.filter(owner="staff").first()
    back = reverse("journeys:staff-journey", args=[journey.pk])

    response = nurse_client.post(
        reverse("journeys:checklist-toggle", args=[journey.pk, item.pk]),
        {"done": "1", "next": back},
    )

    item.refresh_from_db()
    assert (item.is_done, item.done_by) == (True, nurse)
    assert response.url == back


def test_a_foreign_next_address_is_ignored(nurse_client, journey):
    item = journey.checklist_items.filter(owner="staff").first()

    response = nurse_client.post(
        reverse("journeys:checklist-toggle", args=[journey.pk, item.pk]),
        {"done": "1", "next": "https://evil.example/phish"},
    )

    assert "evil.example" not in response.url


def test_putting_the_journey_on_hold_shows_the_patient_why(nurse_client, client, journey):
    response = post(
        nurse_client, "journey-status", journey, {"status": "on_hold", "reason": "Has a fever"}
    )

    assert "Journey: On hold." in response.content.decode()
    client.force_login(journey.patient)
    page = client.get(reverse("journeys:home")).content.decode()
    assert "Your journey is on hold." in page
    assert "Has a fever" in page
    assert "contact your care team" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"status": "on_hold", "reason": "  "}, "Please give a reason."),
        ({"status": "cancelled", "reason": ""}, "Please give a reason."),
        ({"status": "completed"}, "while steps are open"),
        ({"status": "active"}, "already active"),
        ({"status": "vanished"}, "Select a valid choice."),
    ],
)
def test_a_journey_status_change_that_cannot_be_made_says_why(nurse_client, journey, data, message):
    response = post(nurse_client, "journey-status", journey, data)

    assert message in response.content.decode()
    journey.refresh_from_db()
    assert journey.status == "active"


def test_surgery_day_steps_take_the_clinic_local_time_the_nurse_types(nurse_client, journey, nurse):
    clear_required_tests(journey)
    for step in (Step.CONSULTATION, Step.PREOP_TESTING, Step.PREPARATION):
        stage_complete(stage=journey.stages.get(step=step), by=nurse)
    anesthesia = journey.stages.get(step=Step.ANESTHESIA)
    surgery_day_ten_am = journey.surgery_local().replace(hour=10, minute=0)

    with time_machine.travel(surgery_day_ten_am, tick=False):
        nurse_client.force_login(nurse)  # a session from three weeks ago has expired
        post(
            nurse_client,
            "stage-action",
            journey,
            {"action": "start", "version": anesthesia.version, "at": "07:45"},
            anesthesia.pk,
        )

    anesthesia.refresh_from_db()
    assert anesthesia.status == StageStatus.ACTIVE
    assert anesthesia.started_at == surgery_day_ten_am.replace(hour=7, minute=45)


def test_a_surgery_day_time_later_than_now_is_refused(nurse_client, journey, nurse):
    clear_required_tests(journey)
    for step in (Step.CONSULTATION, Step.PREOP_TESTING, Step.PREPARATION):
        stage_complete(stage=journey.stages.get(step=step), by=nurse)
    anesthesia = journey.stages.get(step=Step.ANESTHESIA)

    with time_machine.travel(journey.surgery_local().replace(hour=7, minute=0), tick=False):
        nurse_client.force_login(nurse)
        response = post(
            nurse_client,
            "stage-action",
            journey,
            {"action": "start", "version": anesthesia.version, "at": "09:30"},
            anesthesia.pk,
        )

    assert "That time is in the future." in response.content.decode()
    anesthesia.refresh_from_db()
    assert anesthesia.status == StageStatus.PENDING


def test_the_staff_page_names_the_tests_the_readiness_gate_is_waiting_for(nurse_client, journey):
    page = nurse_client.get(reverse("journeys:staff-journey", args=[journey.pk])).content.decode()

    for test in journey.required_tests.all():
        assert f"<strong>{test.name}</strong>: not scheduled" in page


def failed_reminder(journey):
    reminder = journey.reminders.get(key="journey:welcome")
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.FAILED, attempts=5, last_error="The email address was refused."
    )
    return reminder


def test_staff_see_why_a_reminder_failed_and_send_it_again(nurse_client, journey):
    reminder = failed_reminder(journey)
    page = nurse_client.get(reverse("journeys:staff-journey", args=[journey.pk])).content.decode()
    assert "The email address was refused." in page

    response = post(nurse_client, "reminder-resend", journey, {"reminder": reminder.pk})

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == ("pending", 0, "")
    assert "will be sent again within a minute" in response.content.decode()
    assert AuditEvent.objects.filter(action="reminder.resend", object_id=str(reminder.pk)).exists()


def test_a_reminder_of_another_journey_cannot_be_resent_through_this_one(
    nurse_client, journey, stranger_journey
):
    foreign = failed_reminder(stranger_journey)

    response = post(nurse_client, "reminder-resend", journey, {"reminder": foreign.pk})

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ReminderStatus.FAILED


def test_a_reminder_that_did_not_fail_is_not_resent(nurse_client, journey):
    reminder = journey.reminders.get(key="journey:welcome")

    response = post(nurse_client, "reminder-resend", journey, {"reminder": reminder.pk})

    assert "Only a failed reminder can be sent again." in response.content.decode()
