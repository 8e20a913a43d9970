"""Writing the audit trail. Reads and changes of patient data both come through here."""

from django.utils import timezone

from journeys.models import AuditEvent


def client_ip(request):
    # REMOTE_ADDR only: a forwarded header is trivially spoofed unless a trusted proxy
    # rewrites it, and the deployment guide puts that proxy in front.
    return request.META.get("REMOTE_ADDR") if request is not None else None


def audit_record(*, actor, action, patient, obj=None, request=None, **detail):
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        patient=patient,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=client_ip(request),
        detail=detail,
    )


def audit_journey_view(request, journey, **detail):
    """A page showed `journey` to the signed-in user: the read goes on the patient's trail."""
    return audit_record(
        actor=request.user,
        action="journey.view",
        patient=journey.patient,
        obj=journey,
        request=request,
        **detail,
    )


def audit_journeys_listed(request, shown, **detail):
    """A list page (calendar, board) showed these journeys: one read per journey, one INSERT.

    `shown` holds (journey_id, patient_id) pairs; repeats are written once.
    """
    now, ip = timezone.now(), client_ip(request)
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
        for journey_id, patient_id in sorted(set(shown))
    )
