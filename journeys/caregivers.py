"""Caregivers (proxy access): someone a patient trusts follows one journey, read-only.

A grant is the whole of a caregiver's access (see journeys/access.py); revoking it
ends that access on their very next request. Revoked grants stay as history.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.audit import audit_record
from journeys.invitations import absolute_url, account_email_send, invitation_send
from journeys.models import CaregiverGrant, Journey, Role, User
from journeys.people import person_create


def _check_may_share(journey, by):
    # Whoever may change the journey may share it: its patient or its clinic's care team.
    if not Journey.objects.writable_by(by).filter(pk=journey.pk).exists():
        raise PermissionDenied("Not allowed to share this journey.")


def _caregiver_for(*, email, full_name, journey, by, request):
    """The caregiver account for `email`: an existing one, or a new one with an invitation."""
    email = User.objects.normalize_email(email).strip()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        caregiver = person_create(
            email=email,
            full_name=full_name,
            role=Role.CAREGIVER,
            clinic=journey.clinic,
            language=journey.patient.language,
        )
        invitation_send(user=caregiver, by=by, request=request, following=journey)
        return caregiver
    if existing.role != Role.CAREGIVER or not existing.is_active:
        # The same words whatever the account is, so nobody learns who else uses the portal.
        raise ValidationError(
            _("This email address cannot be used for a caregiver. Please use another one."),
            code="email_not_caregiver",
        )
    if existing.has_usable_password():
        account_email_send(
            user=existing,
            template="caregiver_added",
            context={
                "link": absolute_url(reverse("journeys:home"), request),
                "clinic": journey.clinic,
                "following": journey,
            },
        )
    else:
        # They never chose a password: a fresh link replaces the one they did not use.
        invitation_send(user=existing, by=by, request=request, following=journey)
    return existing


@transaction.atomic
def caregiver_invite(*, journey, email, full_name, relationship, by, request=None):
    """Let the person at `email` follow `journey`; create and invite them if they are new."""
    _check_may_share(journey, by)
    if journey.is_read_only:
        raise ValidationError(
            _("This journey is closed, so nobody new can be invited to follow it."),
            code="read_only",
        )
    caregiver = _caregiver_for(
        email=email, full_name=full_name, journey=journey, by=by, request=request
    )
    if CaregiverGrant.objects.filter(
        journey=journey, caregiver=caregiver, revoked_at__isnull=True
    ).exists():
        raise ValidationError(
            _("%(name)s can already follow this journey.") % {"name": caregiver.full_name},
            code="already_granted",
        )
    grant = CaregiverGrant(
        journey=journey,
        caregiver=caregiver,
        relationship=relationship.strip(),
        granted_by=by,
        granted_at=timezone.now(),
    )
    grant.full_clean()
    grant.save()
    audit_record(
        actor=by,
        action="caregiver.grant",
        patient=journey.patient,
        obj=grant,
        request=request,
        caregiver_id=caregiver.pk,
        relationship=grant.relationship,
    )
    return grant


@transaction.atomic
def caregiver_revoke(*, grant, by, request=None):
    """End `grant` now: the caregiver's next request no longer finds the journey."""
    _check_may_share(grant.journey, by)
    now = timezone.now()
    # A double click, or the patient and a nurse at once: the first revoke is the one kept.
    revoked = CaregiverGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    if revoked != 1:
        raise ValidationError(
            _("%(name)s could no longer follow this journey already.")
            % {"name": grant.caregiver.full_name},
            code="already_revoked",
        )
    grant.revoked_at, grant.revoked_by = now, by
    audit_record(
        actor=by,
        action="caregiver.revoke",
        patient=grant.journey.patient,
        obj=grant,
        request=request,
        caregiver_id=grant.caregiver_id,
    )
    return grant


def live_grants(journey):
    """Who can follow `journey` now, newest first."""
    return list(
        CaregiverGrant.objects.filter(journey=journey, revoked_at__isnull=True).select_related(
            "caregiver"
        )
    )
