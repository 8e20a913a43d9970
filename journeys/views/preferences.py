"""A patient's preferences: how and when reminders reach them, and their language."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from journeys.access import own_record_or_404
from journeys.audit import audit_journey_view
from journeys.forms import PreferencesForm
from journeys.models import Journey, ReminderStatus
from journeys.people import person_language_set
from journeys.reconcile import reminder_preferences_set

FIELDS = ("reminder_channel", "quiet_start", "quiet_end", "language", "email_optional_reminders")
# Where a refusal from the rules is shown: beside the field the person can change.
FIELD_FOR = {"no_phone": "reminder_channel", "quiet_hours": "quiet_end", "language": "language"}
UPCOMING_SHOWN = 5


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    patient = own_record_or_404(request.user)
    initial = {name: getattr(patient, name) for name in FIELDS}
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, initial=initial, patient=patient)
    if form.is_valid():
        try:
            _save(request, patient, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(FIELD_FOR.get(exc.code), exc)
        else:
            messages.success(request, _("Your preferences are saved."))
            return redirect("journeys:preferences")
    journey = _latest_journey(patient)
    upcoming = _upcoming(journey)
    if journey is not None:
        audit_journey_view(request, journey, page="preferences")
    context = {"form": form, "journey": journey, "upcoming": upcoming, "patient": patient}
    return render(request, "patient/preferences.html", context)


@transaction.atomic
def _save(request, patient, data):
    # One transaction: a refused language leaves the reminder choices unsaved too.
    reminder_preferences_set(
        patient=patient,
        channel=data["reminder_channel"],
        by=patient,
        quiet_start=data["quiet_start"],
        quiet_end=data["quiet_end"],
        email_optional=data["email_optional_reminders"],
        request=request,
    )
    person_language_set(person=patient, language=data["language"], request=request)


def _latest_journey(patient):
    journeys = Journey.objects.select_related("clinic", "patient").visible_to(patient)
    return journeys.order_by("-enrolled_at").first()


def _upcoming(journey):
    if journey is None:
        return []
    waiting = journey.reminders.filter(status__in=[ReminderStatus.PENDING, ReminderStatus.SENDING])
    return list(waiting.order_by("due_at")[:UPCOMING_SHOWN])
