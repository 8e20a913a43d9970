"""Creating the people who use SpineCare, each in the group of their role, and their
language."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from journeys.audit import audit_record
from journeys.models import Journey, JourneyStatus, Role, User
from journeys.reconcile import reminders_reconcile


@transaction.atomic
def person_create(*, email, full_name, role, clinic, password=None, **fields):
    """A new user in `role`'s group. Without a password they sign in after an invitation."""
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            _("Someone with the email %(email)s already has an account.") % {"email": email},
            code="email_taken",
        )
    user = User(email=email, full_name=full_name.strip(), role=role, clinic=clinic, **fields)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


def language_check(language):
    """Refuse a language code we have no translation for."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("We do not offer that language yet."), code="language")


@transaction.atomic
def person_language_set(*, person, language, request=None):
    """Pages, emails and texts to `person` in `language`, one of settings.LANGUAGES.

    A patient's unsent reminders were written in the old language, so their active
    journeys are re-planned and the waiting texts rewritten.
    """
    language_check(language)
    if person.language == language:
        return
    person.language = language
    person.save(update_fields=["language"])
    is_patient = person.role == Role.PATIENT
    audit_record(
        actor=person,
        action="person.language",
        patient=person if is_patient else None,
        obj=person,
        request=request,
        language=language,
    )
    if is_patient:
        for journey in Journey.objects.filter(patient=person, status=JourneyStatus.ACTIVE):
            reminders_reconcile(journey=journey)
