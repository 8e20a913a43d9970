"""journeys/care_team_page.py: the care team's page of a journey, loaded as plain rows
with the same words, history and links as the models give."""

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from journeys.care_team_page import load_care_team_page
from journeys.models import Step
from journeys.readiness import missing_tests
from journeys.transitions import stage_block, stage_unblock


@pytest.fixture
def staff_language():
    with translation.override("en"), timezone.override(ZoneInfo("America/Los_Angeles")):
        yield


def test_each_stage_carries_its_own_history_oldest_first(journey, nurse, staff_language):
    consultation = journey.stages.get(step=Step.CONSULTATION)
    stage_block(stage=consultation, by=nurse, reason="Waiting for the scans")
    stage_unblock(stage=consultation, by=nurse)

    page = load_care_team_page(journey)

    stages = {stage.step: stage for stage in page.stages}
    history = [(e.by, e.before, e.after, e.note) for e in stages[Step.CONSULTATION].history]
    assert history[-2:] == [
        ("Nina Nurse", "In progress", "On hold", "Waiting for the scans"),
        ("Nina Nurse", "On hold", "In progress", ""),
    ]
    assert [stage.step for stage in page.stages] == [
        stage.step for stage in journey.stages.order_by("position")
    ]
    assert stages[Step.PREPARATION].history == []  # Not started yet: no history.


def test_the_rows_link_to_their_own_forms(journey, staff_language):
    page = load_care_team_page(journey)

    stage, item = page.stages[0], page.items[0]
    assert stage.action_url == reverse("journeys:stage-action", args=[journey.pk, stage.pk])
    assert item.toggle_url == reverse("journeys:checklist-toggle", args=[journey.pk, item.pk])
    assert item.remove_url == reverse("journeys:checklist-remove", args=[journey.pk, item.pk])


def test_the_readiness_gate_reads_the_pages_rows_as_it_reads_the_models(journey, staff_language):
    page = load_care_team_page(journey)

    assert missing_tests(journey, tests=page.tests, appointments=page.appointments) == (
        missing_tests(journey)
    )


def test_the_page_runs_as_many_queries_however_much_history(
    journey, nurse, staff_language, django_assert_num_queries
):
    # Stages with their history, items, appointments, required tests, reminders.
    with django_assert_num_queries(5):
        load_care_team_page(journey)
    for n in range(3):
        stage_block(stage=journey.stages.get(step=Step.CONSULTATION), by=nurse, reason=f"{n}")
        stage_unblock(stage=journey.stages.get(step=Step.CONSULTATION), by=nurse)

    with django_assert_num_queries(5):
        load_care_team_page(journey)
