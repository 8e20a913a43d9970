"""Sign-in backends that load, with the signed-in user, whether they have a second factor.

journeys.security asks that on every care-team request; answering it in the query that
loads the user saves one query on every page.
"""

from functools import cache

from allauth.account.auth_backends import AuthenticationBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import backends, get_user_model
from django.db.models import Exists, OuterRef

# The factors allauth's login asks for; recovery codes alone do not count.
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


@cache
def _users_with_second_factor():
    # Built once per process: resolving the Exists() anew on every request cost about as
    # much as running the query. get() clones it, so the shared queryset never changes.
    has_factor = Authenticator.objects.filter(user=OuterRef("pk"), type__in=SECOND_FACTORS)
    return get_user_model()._default_manager.annotate(has_second_factor=Exists(has_factor))


class SecondFactorAware:
    def get_user(self, user_id):
        try:
            user = _users_with_second_factor().get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class ModelBackend(SecondFactorAware, backends.ModelBackend):
    pass


class AccountBackend(SecondFactorAware, AuthenticationBackend):
    pass
