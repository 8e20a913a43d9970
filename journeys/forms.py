"""Forms: they parse and check what a person typed; the functions they feed decide."""

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.models import ChecklistItem, JourneyStatus, Stage

STAGE_ACTIONS = ["start", "complete", "skip", "block", "unblock", "reopen"]


def first_error(form):
    """One sentence for a flash message, naming the field when there is one."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        return f"{label}: {errors[0]}" if label else errors[0]
    return ""


class StageActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in STAGE_ACTIONS])
    version = forms.IntegerField(min_value=0, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    # Surgery-day steps are updated live: staff type the clinic-local time it happened.
    at = forms.TimeField(label=_("Time"), required=False)

    def transition_kwargs(self, journey):
        data = self.cleaned_data
        kwargs = {"expected_version": data["version"], "reason": data["reason"]}
        if data["at"] is not None:
            zone = journey.clinic.zone
            today = timezone.now().astimezone(zone).date()
            kwargs["at"] = datetime.combine(today, data["at"], tzinfo=zone)
        return kwargs


class JourneyStatusForm(forms.Form):
    status = forms.ChoiceField(choices=JourneyStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class ChecklistItemForm(forms.ModelForm):
    """A checklist item staff add to one patient's journey."""

    class Meta:
        model = ChecklistItem
        fields = ["stage", "text", "owner", "anchor", "offset_days", "required"]
        labels = {"stage": _("Step"), "offset_days": _("Days")}

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(journey=journey)
        self.fields["stage"].empty_label = None
        self.fields["offset_days"].min_value = -365
        self.fields["offset_days"].max_value = 365
