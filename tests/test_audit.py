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
