"""The one place that decides which journeys a user may see or change.

Every view calls `get_journey_for_user` (or filters with `visible_to`) before it
touches patient data. "Missing" and "not yours" are the same 404, so an id reveals
nothing, and each refusal is audited. Each rule is one line with the reason beside it.
"""

from django.db import models
from django.db.models import Q
from django.http import Http404

from journeys.models.people import Role

CARE_TEAM_ROLES = (Role.STAFF, Role.COORDINATOR, Role.CLINIC_ADMIN)


def _visible_filter(user):
    if not user.is_authenticated or not user.is_active:
        return None  # Anonymous and deactivated users see nothing.
    if user.role == Role.PATIENT:
        return Q(patient=user)  # A patient sees only their own journey.
    if _sees_clinic(user):
        return Q(clinic_id=user.clinic_id)  # The care team sees its own clinic only.
    if user.role == Role.CAREGIVER:
        # A caregiver follows exactly the journeys a live grant names; a revoke ends it at once.
        return Q(pk__in=_followed_journey_ids(user))
    return None  # Anyone else (a clinic-less admin): nothing.


def _sees_clinic(user):
    return user.role in CARE_TEAM_ROLES and bool(user.clinic_id)


def _followed_journey_ids(caregiver):
    from journeys.models import CaregiverGrant

    # A subquery, not a join: the journey list never repeats, whatever else filters it.
    return CaregiverGrant.objects.filter(caregiver=caregiver, revoked_at__isnull=True).values(
        "journey_id"
    )


def _writable_filter(user):
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.PATIENT:
        return Q(patient=user)  # Patients tick their own items; checked again per item.
    if _sees_clinic(user):
        return Q(clinic_id=user.clinic_id)
    if user.role == Role.CAREGIVER:
        return None  # Caregivers follow a journey; even with a grant they never change it.
    return None  # Anyone else: nothing.


class JourneyQuerySet(models.QuerySet):
    def visible_to(self, user):
        rule = _visible_filter(user)
        return self.filter(rule) if rule is not None else self.none()

    def writable_by(self, user):
        rule = _writable_filter(user)
        return self.filter(rule) if rule is not None else self.none()


class AppointmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The appointments of the journeys `user` may see (the rules above).

        Where the rule is "the clinic", the appointment's own copy of its journey's
        clinic answers it: a clinic's day is then one index range, however many
        clinics share the installation.
        """
        rule = _visible_filter(user)
        if rule is None:
            return self.none()
        if _sees_clinic(user):
            return self.filter(clinic_id=user.clinic_id)
        from journeys.models import Journey

        return self.filter(journey__in=Journey.objects.filter(rule))


def get_journey_for_user(user, journey_id, *, write=False, queryset=None, request=None):
    """The journey, if `user` may see it (or change it, with write=True); else 404 (audited)."""
    from journeys.models import Journey

    base = queryset if queryset is not None else Journey.objects.all()
    allowed = base.writable_by(user) if write else base.visible_to(user)
    journey = allowed.filter(pk=journey_id).first()
    if journey is None:
        _audit_denied(user, journey_id, write=write, request=request)
        raise Http404("No such journey.")
    return journey


def get_tickable_item(user, journey, item_id, *, request=None):
    """A checklist item of `journey` (already checked writable) that `user` may tick;
    else 404 (audited)."""
    from journeys.models import ChecklistItem, Owner

    item = ChecklistItem.objects.select_related("stage").filter(pk=item_id, journey=journey)
    item = item.first()
    if item is not None and user.role == Role.PATIENT and item.owner != Owner.PATIENT:
        item = None  # Patients see the care team's items but never tick them.
    if item is None:
        _audit_denied(user, journey.pk, write=True, request=request, item_id=item_id)
        raise Http404("No such item.")
    item.journey = journey
    return item


def _audit_denied(user, journey_id, *, write, request, **detail):
    from journeys.audit import audit_record
    from journeys.models import Journey

    # Reaching for a journey that is not yours is a security event: it goes on the
    # trail of the patient it names, so their record shows who tried.
    target = Journey.objects.select_related("patient").filter(pk=journey_id).first()
    audit_record(
        actor=user,
        action="access.denied",
        patient=target.patient if target is not None else None,
        obj=target,
        request=request,
        journey_id=journey_id,
        write=write,
        **detail,
    )


def own_record_or_404(user):
    """The patient whose record `user` may download or audit: only their own."""
    # A record's access log and export belong to the patient it is about, not to the
    # caregivers following them nor to staff (who use the patient's page).
    if not user.is_authenticated or user.role != Role.PATIENT:
        raise Http404("Only patients have a record here.")
    return user


def is_care_team(user):
    return user.is_authenticated and user.role in CARE_TEAM_ROLES and bool(user.clinic_id)


def can_enrol(user):
    # Enrolling creates accounts and emails invitations: coordinators' and clinic admins' work.
    return is_care_team(user) and user.role in (Role.COORDINATOR, Role.CLINIC_ADMIN)
