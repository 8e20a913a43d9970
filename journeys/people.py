"""Creating the people who use SpineCare, each in the group of their role."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from journeys.models import User


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
