import contextlib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.models import PreopResult, StageEvent, StageStatus, Step
from journeys.transitions import (
    ALLOWED,
    stage_block,
    stage_complete,
    stage_reopen,
    stage_skip,
    stage_start,
    stage_transition,
    stage_unblock,
)
from tests.conftest import clear_required_tests


def stage(journey, step):
    return journey.stages.get(step=step)


def test_completing_a_stage_records_history_and_starts_the_next(journey, nurse):
    consultation = stage(journey, Step.CONSULTATION)

    stage_complete(stage=consultation, by=nurse)

    consultation.refresh_from_db()
    assert consultation.status == StageStatus.DONE
    assert consultation.completed_at is not None
    event = StageEvent.objects.get(stage=consultation)
    assert (event.from_status, event.to_status, event.by) == ("active", "done", nurse)
    assert stage(journey, Step.PREOP_TESTING).status == StageStatus.ACTIVE


def test_a_done_stage_cannot_be_marked_done_again(journey, nurse):
    consultation = stage(journey, Step.CONSULTATION)
    stage_complete(stage=consultation, by=nurse)

    with pytest.raises(ValidationError, match="already done"):
        stage_complete(stage=consultation, by=nurse)

    assert StageEvent.objects.filter(stage=consultation).count() == 1


def test_illegal_transition_is_refused_with_a_clear_message(journey, nurse):
    fusion = stage(journey, Step.FUSION)

    with pytest.raises(ValidationError, match="cannot go from to come to done"):
        stage_complete(stage=fusion, by=nurse)

    fusion.refresh_from_db()
    assert fusion.status == StageStatus.PENDING


def test_blocking_needs_a_reason_and_nothing_changes_without_one(journey, nurse):
    consultation = stage(journey, Step.CONSULTATION)

    with pytest.raises(ValidationError, match="reason"):
        stage_block(stage=consultation, by=nurse, reason="   ")

    consultation.refresh_from_db()
    assert consultation.status == StageStatus.ACTIVE
    assert not StageEvent.objects.filter(stage=consultation).exists()


def test_block_and_unblock_keep_the_reason_in_history(journey, nurse):
    consultation = stage(journey, Step.CONSULTATION)
    stage_block(stage=consultation, by=nurse, reason="Waiting for MRI")
    consultation.refresh_from_db()
    assert consultation.blocked_reason == "Waiting for MRI"

    stage_unblock(stage=consultation, by=nurse)

    consultation.refresh_from_db()
    assert consultation.status == StageStatus.ACTIVE
    assert consultation.blocked_reason == ""
    notes = list(StageEvent.objects.filter(stage=consultation).values_list("note", flat=True))
    assert notes == ["Waiting for MRI", ""]


def test_reopening_a_done_stage_needs_a_reason(journey, nurse):
    consultation = stage(journey, Step.CONSULTATION)
    stage_complete(stage=consultation, by=nurse)

    with pytest.raises(ValidationError, match="reason"):
        stage_reopen(stage=consultation, by=nurse, reason="")
    stage_reopen(stage=consultation, by=nurse, reason="Surgeon wants a second visit")

    consultation.refresh_from_db()
    assert consultation.status == StageStatus.ACTIVE
    assert consultation.completed_at is None


def test_a_patient_cannot_move_a_stage(journey, patient):
    with pytest.raises(ValidationError, match="Only the care team"):
        stage_complete(stage=stage(journey, Step.CONSULTATION), by=patient)


def test_a_stale_version_is_refused_instead_of_overwriting(journey, nurse):
    consultation = stage(journey, Step.CONSULTATION)
    loaded_version = consultation.version
    stage_block(stage=consultation, by=nurse, reason="Waiting for records")

    with pytest.raises(ValidationError, match=r"was changed by Nina Nurse at .* on hold"):
        stage_complete(stage=consultation, by=nurse, expected_version=loaded_version)

    consultation.refresh_from_db()
    assert consultation.status == StageStatus.BLOCKED


def test_an_unknown_status_is_refused(journey, nurse):
    with pytest.raises(ValidationError, match="Unknown status"):
        stage_transition(stage=stage(journey, Step.CONSULTATION), to="teleported", by=nurse)


def test_signing_off_preparation_leaves_anesthesia_for_the_day_of_surgery(journey, nurse):
    for step in (Step.CONSULTATION, Step.PREOP_TESTING):
        stage_complete(stage=stage(journey, step), by=nurse)
    clear_required_tests(journey)

    stage_complete(stage=stage(journey, Step.PREPARATION), by=nurse)

    anesthesia = stage(journey, Step.ANESTHESIA)
    assert anesthesia.status == StageStatus.PENDING
    assert anesthesia.started_at is None


def test_surgery_day_steps_take_the_time_staff_enter(journey, nurse):
    for step in (Step.CONSULTATION, Step.PREOP_TESTING):
        stage_complete(stage=stage(journey, step), by=nurse)
    clear_required_tests(journey)
    stage_complete(stage=stage(journey, Step.PREPARATION), by=nurse)
    morning = timezone.now() + timedelta(hours=2)
    anesthesia_done = morning + timedelta(minutes=20)

    # The nurse records the real times a little after the fact.
    with time_machine.travel(morning + timedelta(minutes=45), tick=False):
        stage_start(stage=stage(journey, Step.ANESTHESIA), by=nurse, at=morning)
        stage_complete(stage=stage(journey, Step.ANESTHESIA), by=nurse, at=anesthesia_done)

    anesthesia = stage(journey, Step.ANESTHESIA)
    assert anesthesia.started_at == morning
    assert anesthesia.completed_at == anesthesia_done
    assert stage(journey, Step.INCISION).started_at == anesthesia_done


def test_a_time_before_the_step_started_is_refused(journey, nurse):
    consultation = stage(journey, Step.CONSULTATION)

    with pytest.raises(ValidationError, match="before this step"):
        stage_complete(stage=consultation, by=nurse, at=consultation.started_at - timedelta(1))


def test_a_step_cannot_start_before_the_previous_one_finished(journey, nurse):
    for step in (Step.CONSULTATION, Step.PREOP_TESTING):
        stage_complete(stage=stage(journey, step), by=nurse)
    clear_required_tests(journey)
    stage_complete(stage=stage(journey, Step.PREPARATION), by=nurse)
    signed_off = stage(journey, Step.PREPARATION).completed_at

    with pytest.raises(ValidationError, match="before the previous step was finished"):
        stage_start(
            stage=stage(journey, Step.ANESTHESIA), by=nurse, at=signed_off - timedelta(hours=1)
        )

    assert stage(journey, Step.ANESTHESIA).status == StageStatus.PENDING


def test_a_time_in_the_future_is_refused(journey, nurse):
    with pytest.raises(ValidationError, match="future"):
        stage_complete(
            stage=stage(journey, Step.CONSULTATION),
            by=nurse,
            at=timezone.now() + timedelta(hours=1),
        )


class TestReadinessGate:
    def complete_until_preparation(self, journey, nurse):
        for step in (Step.CONSULTATION, Step.PREOP_TESTING):
            stage_complete(stage=stage(journey, step), by=nurse)

    def test_preparation_cannot_complete_while_tests_are_missing(self, journey, nurse):
        self.complete_until_preparation(journey, nurse)

        with pytest.raises(ValidationError) as refusal:
            stage_complete(stage=stage(journey, Step.PREPARATION), by=nurse)

        message = " ".join(refusal.value.messages)
        for test in journey.required_tests.all():
            assert f"{test.name} (not scheduled)" in message
        assert stage(journey, Step.PREPARATION).status == StageStatus.ACTIVE

    def test_a_result_that_expires_before_surgery_does_not_count(self, journey, nurse):
        self.complete_until_preparation(journey, nurse)
        clear_required_tests(journey, days_before_surgery=60)

        with pytest.raises(ValidationError, match="expires before surgery"):
            stage_complete(stage=stage(journey, Step.PREPARATION), by=nurse)

    def test_a_result_needing_review_is_named(self, journey, nurse):
        self.complete_until_preparation(journey, nurse)
        clear_required_tests(journey)
        journey.appointments.filter(test_type__name="Blood count (CBC)").update(
            result=PreopResult.NEEDS_REVIEW
        )

        with pytest.raises(ValidationError, match=r"Blood count \(CBC\) \(result needs review\)"):
            stage_complete(stage=stage(journey, Step.PREPARATION), by=nurse)

    def test_preparation_completes_once_every_test_is_cleared_in_time(self, journey, nurse):
        self.complete_until_preparation(journey, nurse)
        clear_required_tests(journey)

        stage_complete(stage=stage(journey, Step.PREPARATION), by=nurse)

        assert stage(journey, Step.PREPARATION).status == StageStatus.DONE


ACTIONS = {
    "start": lambda s, by: stage_start(stage=s, by=by),
    "complete": lambda s, by: stage_complete(stage=s, by=by),
    "skip": lambda s, by: stage_skip(stage=s, by=by),
    "block": lambda s, by: stage_block(stage=s, by=by, reason="waiting"),
    "unblock": lambda s, by: stage_unblock(stage=s, by=by),
    "reopen": lambda s, by: stage_reopen(stage=s, by=by, reason="again"),
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moves=st.lists(
        st.tuples(
            st.sampled_from([Step.CONSULTATION, Step.REHABILITATION, Step.RECOVERY]),
            st.sampled_from(sorted(ACTIONS)),
        ),
        max_size=12,
    )
)
def test_random_transitions_keep_history_complete_and_states_legal(
    moves, patient, microdiscectomy, nurse
):
    from journeys.enrolment import journey_enroll

    journey = journey_enroll(patient=patient, procedure=microdiscectomy, by=nurse)
    for step, action in moves:
        with contextlib.suppress(ValidationError):
            ACTIONS[action](stage(journey, step), nurse)

    for s in journey.stages.all():
        events = list(s.events.order_by("at", "id"))
        assert s.status in StageStatus.values
        # The history replays to the current status, one allowed move at a time.
        status = StageStatus.ACTIVE if s.step == Step.CONSULTATION else StageStatus.PENDING
        for event in events:
            assert event.from_status == status
            assert (event.from_status, event.to_status) in ALLOWED
            status = event.to_status
        assert status == s.status
        assert s.version == len(events)
        times = [e.at for e in events]
        assert times == sorted(times)
    assert_current_step(journey)


def assert_current_step(journey):
    """The journey's copy of its current step (the worklist's filter) matches its stages."""
    journey.refresh_from_db()
    stages = journey.stages.order_by("position")
    left = [s.step for s in stages if s.status not in (StageStatus.DONE, StageStatus.SKIPPED)]
    assert journey.current_step == (left[0] if left else "")


def test_the_journey_keeps_its_current_step_through_every_kind_of_move(journey, nurse):
    assert journey.current_step == Step.CONSULTATION
    stage_complete(stage=stage(journey, Step.CONSULTATION), by=nurse)
    journey.refresh_from_db()
    assert journey.current_step == Step.PREOP_TESTING
    stage_block(stage=stage(journey, Step.PREOP_TESTING), by=nurse, reason="waiting")
    assert_current_step(journey)
    assert journey.current_step == Step.PREOP_TESTING
    stage_skip(stage=stage(journey, Step.PREPARATION), by=nurse)
    stage_unblock(stage=stage(journey, Step.PREOP_TESTING), by=nurse)
    stage_complete(stage=stage(journey, Step.PREOP_TESTING), by=nurse)
    assert_current_step(journey)
    assert journey.current_step == Step.ANESTHESIA
    stage_reopen(stage=stage(journey, Step.CONSULTATION), by=nurse, reason="new scan")
    assert_current_step(journey)
    assert journey.current_step == Step.CONSULTATION
