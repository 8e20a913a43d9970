"""The one-click unsubscribe link in optional reminder emails.

No sign-in: the signed token in the link names the patient. GET only shows a
confirmation page, because mail scanners fetch every link in a message; the change
is a POST, from that page's button or from the mail client itself (RFC 8058).
"""

from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from journeys.channels.email import unsubscribe_patient_id
from journeys.models import Role, User
from journeys.reconcile import email_optional_reminders_stop


def _patient(token):
    try:
        patient_id = unsubscribe_patient_id(token)
    except signing.BadSignature:
        raise Http404 from None
    try:
        return User.objects.get(pk=patient_id, role=Role.PATIENT)
    except User.DoesNotExist:
        raise Http404 from None


# CSRF-exempt on purpose, and only because of RFC 8058: a mail client's one-click
# unsubscribe is a POST from outside the site, with no session and no CSRF token. The
# signed token in the URL is what authorises it, and all it can do is stop optional
# emails. GET changes nothing.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    patient = _patient(token)
    done = False
    if request.method == "POST":
        if patient.email_optional_reminders:
            email_optional_reminders_stop(patient=patient, request=request)
        done = True
    # The page speaks the patient's language, whoever's browser opens the link.
    with translation.override(patient.language):
        return render(request, "patient/unsubscribe.html", {"done": done})
