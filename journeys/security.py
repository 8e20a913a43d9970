"""Second factor, session lifetime and caching rules for a portal holding patient data.

allauth offers second factors (TOTP, recovery codes, security keys) but never requires
them, and Django gives every session one lifetime. HIPAA's automatic logoff (45 CFR
164.312(a)(2)(iii)) and ASVS 7.3 want an idle and an absolute limit, shorter for the
care team, so those rules live here as three small middlewares (see MIDDLEWARE in
spinecare/settings.py).
"""

import time

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import redirect, resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from journeys.auth_backends import SECOND_FACTORS

LOGIN_AT = "spinecare.login_at"
SEEN_AT = "spinecare.seen_at"
# Saving the session on every page costs a database write each time; a minute of
# slack in the idle clock costs nothing.
SEEN_WRITE_EVERY = 60


def is_workforce(user):
    """The care team, and anyone who can open the Django admin."""
    return user.is_authenticated and (user.is_care_team or user.is_staff)


def _go(request, url):
    # An htmx request swaps a fragment; it must navigate the whole page instead.
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class RequireMFAMiddleware:
    """The care team enrols a second factor before any page other than allauth's own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.SPINECARE_REQUIRE_STAFF_MFA or not is_workforce(request.user):
            return None
        # Sign-in, sign-out, password and two-factor pages show no patient data,
        # and the person needs them to enrol, in a language they read.
        if view_func.__module__.startswith("allauth."):
            return None
        if view_func.__module__ == "journeys.views.language":
            return None
        # Loaded with the user by journeys.auth_backends; asked here when another
        # backend signed them in.
        enabled = getattr(request.user, "has_second_factor", None)
        if enabled is None:
            enabled = is_mfa_enabled(request.user, SECOND_FACTORS)
        if enabled:
            return None
        messages.warning(
            request,
            _("Set up two-factor authentication before you can see patient information."),
        )
        return _go(request, resolve_url("mfa_activate_totp"))


def idle_limit(user):
    minutes = (
        settings.SPINECARE_STAFF_IDLE_MINUTES
        if is_workforce(user)
        else settings.SPINECARE_PATIENT_IDLE_MINUTES
    )
    return minutes * 60


def expiry_message(session, user, now):
    """Why this session has ended, or None while it is still alive."""
    if now - session[LOGIN_AT] > settings.SPINECARE_SESSION_MAX_HOURS * 3600:
        return _("You have been signed in for %(hours)s hours. Please sign in again.") % {
            "hours": settings.SPINECARE_SESSION_MAX_HOURS
        }
    if now - session[SEEN_AT] > idle_limit(user):
        return _(
            "For your privacy you were signed out after %(minutes)s minutes without "
            "activity. Please sign in again."
        ) % {"minutes": idle_limit(user) // 60}
    return None


@receiver(user_logged_in)
def start_session_clocks(sender, request, user, **kwargs):
    """Both clocks start at sign-in, saved with the sign-in itself (no extra write later)."""
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Sign out after the role's idle time, and always after the absolute cap."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            reason = self._check(request.session, request.user, time.time())
            if reason:
                return self._sign_out(request, reason)
        elif auth.SESSION_KEY in request.session:
            # A deactivated account: Django already ignores the session; end it, so
            # reactivating the account does not bring it back.
            request.session.flush()
        return self.get_response(request)

    def _check(self, session, user, now):
        # A session from before this middleware starts its clocks now.
        session.setdefault(LOGIN_AT, now)
        session.setdefault(SEEN_AT, now)
        reason = expiry_message(session, user, now)
        if not reason and now - session[SEEN_AT] >= SEEN_WRITE_EVERY:
            session[SEEN_AT] = now
        return reason

    def _sign_out(self, request, reason):
        auth.logout(request)
        messages.info(request, reason)
        # Only a page can be returned to; a form posted after the timeout is not replayed.
        if request.method == "GET" and not getattr(request, "htmx", False):
            return redirect_to_login(request.get_full_path())
        return _go(request, resolve_url(settings.LOGIN_URL))


class NoStoreMiddleware:
    """Every signed-in page may show patient data: no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
        return response
