"""The surgery-day panel families watch: the step under way in plain words, with times."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.caregivers import caregiver_invite, caregiver_revoke
from journeys.models import AuditEvent, Clinic, Journey, Stage, StageStatus, Step
from journeys.surgery_day import surgery_progress
from journeys.transitions import stage_complete, stage_start
from tests.conftest import clear_required_tests

ZONE = "America/Los_Angeles"
S = StageStatus


def journey_on(day_at, zone=ZONE):
    return Journey(surgery_at=day_at, clinic=Clinic(time_zone=zone))


def stages(*rows):
    """In-memory stages: (step, status, started_at)."""
    return [
        Stage(step=step, position=n, status=status, started_at=started)
        for n, (step, status, started) in enumerate(rows)
    ]


def at(hour, minute):
    return datetime(2026, 3, 4, hour, minute, tzinfo=ZoneInfo(ZONE))


def test_before_the_day_there_is_no_panel():
    progress = surgery_progress(
        journey_on(at(7, 30) + timedelta(days=3)),
        stages((Step.PREPARATION, S.ACTIVE, at(6, 0)), (Step.ANESTHESIA, S.PENDING, None)),
        now=at(6, 0),
    )

    assert not progress.show
    assert not progress.live


def test_on_the_morning_of_surgery_the_panel_waits_and_refreshes():
    progress = surgery_progress(
        journey_on(at(7, 30)),
        stages((Step.PREPARATION, S.DONE, at(6, 0)), (Step.ANESTHESIA, S.PENDING, None)),
        now=at(6, 15),
    )

    assert (progress.show, progress.live, progress.phase, progress.events) == (
        True,
        True,
        None,
        [],
    )


def test_the_operating_steps_read_as_surgery_in_progress_with_when_each_part_began():
    progress = surgery_progress(
        journey_on(at(7, 30)),
        stages(
            (Step.ANESTHESIA, S.DONE, at(7, 42)),
            (Step.INCISION, S.DONE, at(8, 5)),
            (Step.BONE_REMOVAL, S.ACTIVE, at(8, 40)),
            (Step.FUSION, S.PENDING, None),
            (Step.CLOSURE, S.PENDING, None),
            (Step.RECOVERY, S.PENDING, None),
        ),
        now=at(9, 0),
    )

    assert str(progress.phase) == "Surgery in progress"
    assert [(str(words), when) for words, when in progress.events] == [
        ("Anesthesia started", at(7, 42)),
        ("Surgery started", at(8, 5)),
    ]
    assert progress.under_way and progress.live


def test_closing_then_recovery_and_the_panel_stops_refreshing_in_recovery():
    rows = [
        (Step.ANESTHESIA, S.DONE, at(7, 42)),
        (Step.INCISION, S.DONE, at(8, 5)),
        (Step.CLOSURE, S.ACTIVE, at(11, 2)),
        (Step.RECOVERY, S.PENDING, None),
    ]
    closing = surgery_progress(journey_on(at(7, 30)), stages(*rows), now=at(11, 5))
    rows[2:] = [(Step.CLOSURE, S.DONE, at(11, 2)), (Step.RECOVERY, S.ACTIVE, at(11, 40))]
    recovery = surgery_progress(journey_on(at(7, 30)), stages(*rows), now=at(11, 45))

    assert (str(closing.phase), closing.live) == ("Closing", True)
    assert (str(recovery.phase), recovery.live, recovery.show) == ("In recovery", False, True)
    assert [str(words) for words, _ in recovery.events][-2:] == [
        "Closing started",
        "In recovery since",
    ]


def test_a_surgery_running_past_midnight_keeps_its_panel():
    progress = surgery_progress(
        journey_on(at(7, 30)),
        stages((Step.ANESTHESIA, S.DONE, at(7, 42)), (Step.CLOSURE, S.ACTIVE, at(23, 50))),
        now=at(23, 50) + timedelta(hours=1),
    )

    assert progress.show and progress.live


# The panel on real pages, driven by the real transitions.


def start_surgery(journey, nurse):
    """Consultation to preparation done, then anesthesia started now, as staff would."""
    clear_required_tests(journey)
    for step in (Step.CONSULTATION, Step.PREOP_TESTING, Step.PREPARATION):
        stage_complete(stage=journey.stages.get(step=step), by=nurse)
    return stage_start(stage=journey.stages.get(step=Step.ANESTHESIA), by=nurse)


@pytest.fixture
def caregiver(journey, patient):
    grant = caregiver_invite(
        journey=journey,
        email="carla@family.example",
        full_name="Carla Carer",
        relationship="daughter",
        by=patient,
    )
    return grant.caregiver


def live_url(journey):
    return reverse("journeys:surgery-live", args=[journey.pk])


def test_the_caregiver_page_polls_the_panel_while_surgery_is_under_way(
    client, caregiver, journey, nurse, settings
):
    settings.SPINECARE_LIVE_POLL_SECONDS = 30
    anesthesia = start_surgery(journey, nurse)
    client.force_login(caregiver)

    page = client.get(reverse("journeys:journey", args=[journey.pk])).content.decode()

    local = anesthesia.started_at.astimezone(journey.clinic.zone)
    assert "<strong>Anesthesia</strong>" in page
    assert f'Anesthesia started <time datetime="{local.isoformat()}">{local:%-H:%M}' in page
    assert f'hx-get="{live_url(journey)}" hx-trigger="every 30s"' in page
    assert "Refresh</a>" in page


def test_the_patient_sees_the_same_panel_on_their_home_page(client, patient, journey, nurse):
    start_surgery(journey, nurse)
    client.force_login(patient)

    page = client.get(reverse("journeys:home")).content.decode()

    assert 'id="surgery-live"' in page
    assert "<strong>Anesthesia</strong>" in page


def test_no_panel_before_surgery_day(client, patient, journey):
    client.force_login(patient)

    page = client.get(reverse("journeys:home")).content.decode()

    assert 'id="surgery-live"' not in page


def test_the_polled_panel_is_the_panel_alone_and_each_poll_is_audited(
    client, caregiver, journey, nurse
):
    start_surgery(journey, nurse)
    stage_complete(stage=journey.stages.get(step=Step.ANESTHESIA), by=nurse)
    client.force_login(caregiver)

    response = client.get(live_url(journey), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.strip().startswith('<div id="surgery-live"')
    assert "<strong>Surgery in progress</strong>" in body
    event = AuditEvent.objects.get(action="journey.view", actor=caregiver)
    assert event.detail == {"page": "surgery-live"}


def test_the_panel_stops_asking_once_the_patient_is_in_recovery(client, patient, journey, nurse):
    start_surgery(journey, nurse)
    for step in (Step.ANESTHESIA, Step.INCISION, Step.BONE_REMOVAL, Step.FUSION, Step.CLOSURE):
        stage_complete(stage=journey.stages.get(step=step), by=nurse)
    assert journey.stages.get(step=Step.RECOVERY).status == S.ACTIVE
    client.force_login(patient)
    journey.surgery_at = timezone.now() + timedelta(minutes=30)  # today, in the clinic's zone
    Journey.objects.filter(pk=journey.pk).update(surgery_at=journey.surgery_at)

    body = client.get(live_url(journey), HTTP_HX_REQUEST="true").content.decode()

    assert "<strong>In recovery</strong>" in body
    assert "hx-trigger" not in body


def test_a_revoked_caregiver_gets_a_404_at_the_next_poll(
    client, caregiver, patient, journey, nurse
):
    start_surgery(journey, nurse)
    client.force_login(caregiver)
    assert client.get(live_url(journey), HTTP_HX_REQUEST="true").status_code == 200
    caregiver_revoke(grant=caregiver.caregiver_grants.get(), by=patient)

    response = client.get(live_url(journey), HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert "Anesthesia" not in response.content.decode()
    assert AuditEvent.objects.filter(action="access.denied", actor=caregiver).exists()


def test_a_stranger_cannot_poll_someone_elses_panel(client, stranger, journey, nurse):
    start_surgery(journey, nurse)
    client.force_login(stranger)

    assert client.get(live_url(journey)).status_code == 404
