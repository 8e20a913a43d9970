from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from journeys.enrolment import (
    checklist_item_add,
    checklist_item_remove,
    journey_enroll,
    journey_set_status,
    journey_set_surgery,
)
from journeys.models import (
    Anchor,
    ChecklistItemTemplate,
    Journey,
    JourneyStatus,
    ProcedureStep,
    Step,
)
from tests.conftest import finish_every_step, surgery_in


def test_enrolling_copies_every_step_and_checklist_item_of_the_template(journey, fusion):
    template_steps = list(fusion.steps.values_list("step", flat=True))
    assert list(journey.stages.values_list("step", flat=True)) == template_steps
    assert len(template_steps) == 10
    template_items = ChecklistItemTemplate.objects.filter(procedure_step__procedure=fusion)
    assert journey.checklist_items.count() == template_items.count()
    assert journey.stages.get(step=Step.CONSULTATION).status == "active"


def test_a_procedure_without_fusion_has_no_fusion_step(patient, microdiscectomy, nurse):
    journey = journey_enroll(patient=patient, procedure=microdiscectomy, by=nurse)

    assert not journey.stages.filter(step=Step.FUSION).exists()
    assert journey.stages.count() == 9


def test_due_dates_are_concrete_days_relative_to_surgery(journey):
    surgery_day = journey.surgery_local().date()
    item = journey.checklist_items.get(text__startswith="Shower with the antiseptic wash")

    assert item.due_date == surgery_day - timedelta(days=1)


def test_editing_the_template_later_does_not_change_a_journey_in_flight(journey, fusion):
    step = ProcedureStep.objects.get(procedure=fusion, step=Step.PREPARATION)
    step.title = "Renamed by the admin"
    step.save()
    ChecklistItemTemplate.objects.filter(procedure_step=step).delete()

    preparation = journey.stages.get(step=Step.PREPARATION)
    assert preparation.title == "Getting ready"
    assert preparation.checklist_items.exists()


def test_moving_the_surgery_recomputes_every_relative_due_date(journey, nurse):
    item = journey.checklist_items.get(text__startswith="Shower with the antiseptic wash")
    new_surgery = journey.surgery_at + timedelta(days=10)

    journey_set_surgery(journey=journey, surgery_at=new_surgery, by=nurse)

    item.refresh_from_db()
    assert item.due_date == new_surgery.astimezone(journey.clinic.zone).date() - timedelta(days=1)


def test_a_surgery_date_in_the_past_is_refused_and_nothing_is_saved(journey, nurse):
    before = journey.surgery_at

    with pytest.raises(ValidationError, match="must be in the future"):
        journey_set_surgery(
            journey=journey, surgery_at=timezone.now() - timedelta(days=1), by=nurse
        )

    journey.refresh_from_db()
    assert journey.surgery_at == before


def test_enrolling_with_a_past_surgery_date_saves_nothing(patient, fusion, nurse):
    with pytest.raises(ValidationError, match="must be in the future"):
        journey_enroll(
            patient=patient,
            procedure=fusion,
            by=nurse,
            surgery_at=timezone.now() - timedelta(hours=1),
        )

    assert not Journey.objects.exists()


def test_items_anchored_before_enrolment_are_due_at_once_not_lost(patient, fusion, nurse):
    # "Stop smoking" is due six weeks before surgery; surgery is only ten days away.
    journey = journey_enroll(
        patient=patient, procedure=fusion, by=nurse, surgery_at=surgery_in(fusion.clinic, 10)
    )

    item = journey.checklist_items.get(text__startswith="Stop smoking")
    assert item.due_date == timezone.now().astimezone(journey.clinic.zone).date()


def test_staff_can_add_and_remove_an_item_on_one_journey(journey, stranger_journey, nurse):
    preparation = journey.stages.get(step=Step.PREPARATION)

    item = checklist_item_add(
        journey=journey,
        stage=preparation,
        text="Bring your CPAP machine",
        by=nurse,
        offset_days=-1,
    )

    assert item.due_date == journey.surgery_local().date() - timedelta(days=1)
    assert not stranger_journey.checklist_items.filter(text="Bring your CPAP machine").exists()
    checklist_item_remove(item=item, by=nurse)
    assert not journey.checklist_items.filter(text="Bring your CPAP machine").exists()


def test_an_offset_landing_before_enrolment_is_refused(journey, nurse):
    preparation = journey.stages.get(step=Step.PREPARATION)
    count = journey.checklist_items.count()

    with pytest.raises(ValidationError, match="before the patient was enrolled"):
        checklist_item_add(
            journey=journey,
            stage=preparation,
            text="Too early",
            by=nurse,
            anchor=Anchor.SURGERY,
            offset_days=-60,
        )

    assert journey.checklist_items.count() == count


def test_putting_a_journey_on_hold_needs_a_reason(journey, nurse):
    with pytest.raises(ValidationError, match="reason"):
        journey_set_status(journey=journey, status=JourneyStatus.ON_HOLD, by=nurse)

    journey_set_status(
        journey=journey, status=JourneyStatus.ON_HOLD, by=nurse, reason="Patient has a cold"
    )
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ON_HOLD


def test_a_journey_with_open_steps_cannot_be_completed(journey, nurse):
    with pytest.raises(ValidationError, match="while steps are open: Consultation"):
        journey_set_status(journey=journey, status=JourneyStatus.COMPLETED, by=nurse)

    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ACTIVE


def test_a_completed_journey_is_read_only(journey, nurse):
    finish_every_step(journey, nurse)
    journey_set_status(journey=journey, status=JourneyStatus.COMPLETED, by=nurse)

    with pytest.raises(ValidationError, match="can no longer be changed"):
        journey_set_surgery(journey=journey, surgery_at=journey.surgery_at, by=nurse)
    with pytest.raises(ValidationError, match="can no longer be changed"):
        checklist_item_add(journey=journey, stage=journey.stages.first(), text="Late", by=nurse)
