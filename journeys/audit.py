"""Writing the audit trail. Reads and changes of patient data both come through here."""

import json

from django.db import connection
from django.utils import timezone

from journeys.models import AuditEvent


def client_ip(request):
    # REMOTE_ADDR only: a forwarded header is trivially spoofed unless a trusted proxy
    # rewrites it, and the deployment guide puts that proxy in front.
    return request.META.get("REMOTE_ADDR") if request is not None else None


def audit_record(*, actor, action, patient, obj=None, request=None, **detail):
    """One event on `patient`'s trail: a user, an id (what a journey already holds, so
    writing it loads no one), or None for an event about no patient."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        patient_id=getattr(patient, "pk", patient),
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=client_ip(request),
        detail=detail,
    )


def audit_journey_view(request, journey, **detail):
    """A page showed `journey` to the signed-in user: the read goes on the patient's trail.

    The row audit_record would write, through the list pages' INSERT: building the
    model instance and its INSERT cost a page more than writing the row.
    """
    audit_journeys_listed(request, [(journey.pk, journey.patient_id)], **detail)


def audit_journeys_listed(request, shown, **detail):
    """A page showed these journeys (one, or a list's): one read per journey, one INSERT.

    `shown` holds (journey_id, patient_id) pairs; repeats are written once.
    """
    shown = sorted(set(shown))
    if not shown:
        return
    now, ip = timezone.now(), client_ip(request)
    if connection.vendor == "postgresql":
        _insert_reads(now, request.user.pk, ip, shown, detail)
        return
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=now,
            actor=request.user,
            action="journey.view",
            patient_id=patient_id,
            object_type="Journey",
            object_id=str(journey_id),
            ip_address=ip,
            detail=detail,
        )
        for journey_id, patient_id in shown
    )


def _insert_reads(now, actor_id, ip, shown, detail):
    """The same rows as bulk_create writes, from two arrays: a page of 50 patients cost
    more to build as model instances than to insert (docs/benchmarks.md)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 (the table name is our own)
            "(at, actor_id, action, patient_id, object_type, object_id, ip_address, detail) "
            "SELECT %s, %s, 'journey.view', shown.patient_id, 'Journey', shown.journey_id, "
            "%s::inet, %s::jsonb "
            "FROM unnest(%s::bigint[], %s::varchar[]) AS shown(patient_id, journey_id)",
            [
                now,
                actor_id,
                ip,
                json.dumps(detail),
                [patient_id for _journey_id, patient_id in shown],
                [str(journey_id) for journey_id, _patient_id in shown],
            ],
        )
