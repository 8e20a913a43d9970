import pytest
from django.db import DatabaseError, transaction

from journeys.models import AuditEvent


@pytest.fixture
def an_event(journey):
    return AuditEvent.objects.filter(patient=journey.patient).first()


def test_an_audit_event_cannot_be_edited_even_with_raw_sql(require_postgres, an_event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=an_event.pk).update(action="nothing.to.see")

    an_event.refresh_from_db()
    assert an_event.action != "nothing.to.see"


def test_an_audit_event_cannot_be_deleted(require_postgres, an_event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=an_event.pk).delete()

    assert AuditEvent.objects.filter(pk=an_event.pk).exists()


def test_every_action_the_app_records_has_plain_words_for_the_patient():
    import re
    from pathlib import Path

    from journeys.models.audit import ACTION_LABELS

    source = "".join(p.read_text() for p in Path("journeys").rglob("*.py"))
    recorded = set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', source))

    assert recorded, "no audit actions found"
    assert recorded - set(ACTION_LABELS) == set()


FIELDS = ("actor", "action", "patient", "object_type", "object_id", "ip_address", "detail")


def test_a_list_page_records_each_patient_shown_once_as_a_single_view_would(
    journey, stranger_journey, nurse, rf
):
    from journeys.audit import audit_journeys_listed, audit_record

    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    request.user = nurse
    shown = [(journey.pk, journey.patient_id), (stranger_journey.pk, stranger_journey.patient_id)]
    last = AuditEvent.objects.order_by("id").last().pk

    audit_journeys_listed(request, [*shown, shown[0]], page="calendar")
    listed = list(AuditEvent.objects.filter(pk__gt=last).order_by("id").values(*FIELDS))
    # The row the model would write for the same read (the list's INSERT is its own SQL).
    single = audit_record(
        actor=nurse,
        action="journey.view",
        patient=journey.patient_id,
        obj=journey,
        request=request,
        page="calendar",
    )

    assert len(listed) == 2  # the repeat is written once
    by_patient = {row["patient"]: row for row in listed}
    assert set(by_patient) == {journey.patient_id, stranger_journey.patient_id}
    assert by_patient[journey.patient_id] == AuditEvent.objects.values(*FIELDS).get(pk=single.pk)


def test_a_patient_or_reader_with_an_audit_trail_cannot_be_deleted(clinic, rf):
    from django.db.models import ProtectedError

    from journeys.audit import audit_record
    from journeys.models import Role
    from tests.conftest import make_user

    # Nothing ties these two to anything but the one audit row.
    reader = make_user("reader@example.com", Role.COORDINATOR, clinic, second_factor=False)
    patient = make_user("read@example.com", Role.PATIENT, clinic)
    audit_record(actor=reader, action="journey.view", patient=patient, request=rf.get("/"))

    for user in (patient, reader):
        with pytest.raises(ProtectedError), transaction.atomic():
            user.delete()
        assert type(user).objects.filter(pk=user.pk).exists()


def test_recording_a_view_writes_one_row_and_loads_no_one(
    journey, nurse, rf, django_assert_num_queries
):
    from journeys.audit import audit_journey_view
    from journeys.models import Journey

    request = rf.get("/")
    request.user = nurse
    # As a page reads it through the access function: the journey, not its patient.
    read = Journey.objects.get(pk=journey.pk)

    with django_assert_num_queries(1):  # the INSERT; loading the patient was a second
        audit_journey_view(request, read, page="detail")

    event = AuditEvent.objects.latest("id")
    assert event.detail == {"page": "detail"}
    assert (event.patient_id, event.actor_id, event.object_id) == (
        journey.patient_id,
        nurse.pk,
        str(journey.pk),
    )
