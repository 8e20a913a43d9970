"""Show every time in the clinic's own time zone."""

from django.utils import timezone


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
