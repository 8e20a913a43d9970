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
