"""The benchmark's reference pages: the same access and audit rules as every page.

They are served only by the gunicorn `make bench` starts, so they are called directly.
"""

import pytest
from django.http import Http404
from django.test import RequestFactory

from journeys.bench.views import audited_read, layout
from journeys.models import AuditEvent


@pytest.fixture
def request_as():
    def build(user, path="/bench/"):
        request = RequestFactory().get(path, secure=True)
        request.user = user
        return request

    return build


def test_the_layout_reference_renders_the_site_layout_and_reads_no_patient_data(
    request_as, patient, journey
):
    before = AuditEvent.objects.count()

    response = layout(request_as(patient))

    assert response.status_code == 200
    assert b"skip-link" in response.content
    assert AuditEvent.objects.count() == before


def test_the_audited_read_puts_the_read_on_the_patients_trail(request_as, patient, journey):
    response = audited_read(request_as(patient), journey.pk)

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="journey.view")
    assert (event.actor, event.patient, event.action) == (patient, patient, "journey.view")
    assert event.object_id == str(journey.pk)
    assert event.detail == {"page": "bench"}


def test_the_audited_read_refuses_someone_elses_journey(request_as, patient, stranger_journey):
    with pytest.raises(Http404):
        audited_read(request_as(patient), stranger_journey.pk)

    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor, denied.object_id) == (patient, str(stranger_journey.pk))
    assert not AuditEvent.objects.filter(action="journey.view").exists()
