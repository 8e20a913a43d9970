"""Invitations: the single-use, expiring link a new patient or caregiver sets a password with.

Only a SHA-256 hash of the token is stored; the token itself exists only in the email.
Sending a new invitation retires the earlier ones, so only the newest link works.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from journeys.audit import audit_record
from journeys.models import Invitation, Role

logger = logging.getLogger(__name__)

INVITATION_DAYS = 7
# Staff sign in with a second factor; a password link must never be a way around it.
INVITABLE_ROLES = (Role.PATIENT, Role.CAREGIVER)


UNKNOWN = gettext_lazy(
    "This invitation link is not valid. Check that you copied the whole link, "
    "or ask your clinic for a new one."
)
USED = gettext_lazy(
    "This invitation has already been used. Sign in with your email and password, "
    "or use “Forgot your password?” on the sign-in page."
)
EXPIRED = gettext_lazy("This invitation has expired. Ask your clinic for a new one.")
SUPERSEDED = gettext_lazy(
    "A newer invitation has been sent to you. Please use the link in the most recent email."
)


class InvitationError(ValidationError):
    """The link itself is no good (unknown, used, expired): a new one is needed."""


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def absolute_url(path, request=None):
    """A link for an email: from the request when there is one, else from SITE_URL."""
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


def account_email_send(*, user, template, context):
    """Email `user` the subject/text/HTML triple `emails/<template>*`, in their language.

    Sent once the surrounding transaction commits, so a rolled-back enrolment never
    emails a link to an account that does not exist. A failed send is logged; the
    rows stay, and staff can send a new invitation.
    """
    context = {"user": user, **context}
    clinic = context.get("clinic")
    # Dates in the email read in the clinic's zone, whoever pressed the button.
    with translation.override(user.language), timezone.override(clinic.zone if clinic else None):
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
    )
    message.attach_alternative(html, "text/html")
    transaction.on_commit(message.send, robust=True)


def _patient_of(user, following=None):
    """The patient whose trail an invitation belongs on, if any."""
    if following is not None:
        return following.patient
    return user if user.role == Role.PATIENT else None


@transaction.atomic
def invitation_send(*, user, by, request=None, following=None):
    """Email `user` a new link to set their password; earlier unused links stop working.

    `following` is the journey a caregiver is invited to follow; the email names its
    patient and clinic.
    """
    if user.role not in INVITABLE_ROLES:
        raise ValidationError(
            _("Only patients and caregivers are invited by email."), code="not_invitable"
        )
    if user.has_usable_password():
        raise ValidationError(
            _(
                "%(name)s has already set a password. They can use “Forgot your password?” "
                "on the sign-in page."
            )
            % {"name": user.full_name},
            code="already_active",
        )
    now = timezone.now()
    # Only the newest link works: a forwarded or stale email is no key to the account.
    Invitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        user=user,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
        created_by=by,
    )
    invitation.full_clean()
    invitation.save()
    clinic = following.clinic if following is not None else user.clinic
    account_email_send(
        user=user,
        template="invitation",
        context={
            "link": absolute_url(reverse("journeys:invitation-accept", args=[token]), request),
            "clinic": clinic,
            "following": following,
            "expires_at": invitation.expires_at,
        },
    )
    audit_record(
        actor=by,
        action="invitation.send",
        patient=_patient_of(user, following),
        obj=invitation,
        request=request,
        user_id=user.pk,
    )
    return invitation


def _refuse(message, *, code, invitation=None, request=None):
    # Written outside any transaction, so the record of a refused link stays.
    audit_record(
        actor=request.user if request is not None else None,
        action="invitation.refused",
        patient=_patient_of(invitation.user) if invitation is not None else None,
        obj=invitation,
        request=request,
        reason=code,
    )
    return InvitationError(message, code=code)


def invitation_check(*, token, request=None):
    """The invitation `token` opens, if it can still be used; else InvitationError (audited)."""
    invitation = (
        Invitation.objects.select_related("user", "user__clinic")
        .filter(token_hash=_hash(token))
        .first()
    )
    if invitation is None:
        raise _refuse(UNKNOWN, code="unknown", request=request)
    if not invitation.user.is_active:
        raise _refuse(UNKNOWN, code="inactive", invitation=invitation, request=request)
    if invitation.used_at is not None:
        raise _refuse(USED, code="used", invitation=invitation, request=request)
    if invitation.expires_at <= timezone.now():
        newer = Invitation.objects.filter(
            user=invitation.user, created_at__gt=invitation.created_at
        ).exists()
        if newer:
            raise _refuse(SUPERSEDED, code="superseded", invitation=invitation, request=request)
        raise _refuse(EXPIRED, code="expired", invitation=invitation, request=request)
    return invitation


def invitation_accept(*, token, password, request=None):
    """Set the invited user's password and use up the link; return the user.

    Raises InvitationError when the link cannot be used, or ValidationError with the
    password validators' messages, in which case the link stays usable.
    """
    invitation = invitation_check(token=token, request=request)
    user = invitation.user
    password_validation.validate_password(password, user)
    with transaction.atomic():
        now = timezone.now()
        # Two submits of one link race here: only the one that flips used_at goes on.
        claimed = Invitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed == 1:
            user.set_password(password)
            user.save(update_fields=["password"])
            audit_record(
                actor=user,
                action="invitation.accept",
                patient=_patient_of(user),
                obj=invitation,
                request=request,
            )
            return user
    raise _refuse(USED, code="used", invitation=invitation, request=request)
