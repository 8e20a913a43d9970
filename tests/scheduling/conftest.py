"""A clinic on Monday 1 March 2027, mid-morning: the US clocks go forward on 14 March."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from journeys.enrolment import journey_enroll
from journeys.models import PreopTestType

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=LA)


def at(day, hour, minute=0):
    return datetime(2027, 3, day, hour, minute, tzinfo=LA)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def journey(clock, patient, fusion, coordinator):
    return journey_enroll(
        patient=patient, procedure=fusion, by=coordinator, surgery_at=at(29, 7, 30)
    )


@pytest.fixture
def mri(clinic):
    return PreopTestType.objects.create(
        clinic=clinic, name="MRI lumbar spine", prep_instructions="Remove all metal."
    )
