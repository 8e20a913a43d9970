import pytest
from django.core.management import CommandError, call_command

from journeys.models import Journey, Reminder, StageStatus, User


def test_seed_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")

    assert not User.objects.exists()


def test_seed_creates_a_believable_clinic_and_running_it_twice_changes_nothing(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (User.objects.count(), Journey.objects.count(), Reminder.objects.count())

    call_command("seed_demo")

    assert (User.objects.count(), Journey.objects.count(), Reminder.objects.count()) == counts
    assert Journey.objects.count() >= 12
    demo = User.objects.get(email="patient@example.com")
    assert demo.check_password("spinecare-demo")
    for email in ("patient2@example.com", "nurse@example.com", "coordinator@example.com"):
        assert User.objects.filter(email=email).exists()
    journeys = Journey.objects.prefetch_related("stages")
    current_steps = {
        next((s.step for s in j.stages.all() if s.status not in ("done", "skipped")), "finished")
        for j in journeys
    }
    assert {"consultation", "preop_testing", "preparation", "rehabilitation"} <= current_steps
    assert any(s.status == StageStatus.BLOCKED for j in journeys for s in j.stages.all())
