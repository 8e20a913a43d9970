"""Show every time in the clinic's own time zone, every word in the user's language."""

from django.conf import settings
from django.utils import timezone, translation


class ClinicTimezoneMiddleware:
    """Activate the signed-in user's clinic zone, so templates render clinic-local times.

    Times are stored in UTC; a nurse in Denver and a patient travelling in New York
    both see the surgery at the time the clinic scheduled it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        clinic = user.clinic if user is not None and user.is_authenticated else None
        if clinic is not None:
            timezone.activate(clinic.zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


class UserLanguageMiddleware:
    """Speak the signed-in user's chosen language, whatever their browser asks for.

    LocaleMiddleware has already picked the cookie or Accept-Language language, which is
    right for the sign-in page; once we know who it is, their preference wins, so the
    page, its messages and the emails it sends all agree (reminders use the same field).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.language:
            return self.get_response(request)
        translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != user.language:
            # Signed out (or on a shared computer), they still read their own language.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
