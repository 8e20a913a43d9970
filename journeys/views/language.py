"""The language switch in every page's header."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from journeys.people import language_check, person_language_set
from journeys.views.patient import _safe_next


@require_POST
def language_set(request):
    """Django's set_language (the cookie, then back to the page), and for someone signed
    in their saved preference too, so the emails and texts we send follow the page."""
    language = request.POST.get("language", "")
    try:
        language_check(language)
        if request.user.is_authenticated:
            person_language_set(person=request.user, language=language, request=request)
    except ValidationError as exc:
        # Not set_language: it would still store any language Django itself speaks.
        messages.error(request, " ".join(exc.messages))
        return redirect(_safe_next(request) or "journeys:home")
    return set_language(request)
