"""The coordinator's booking forms: they parse what was typed, journeys/scheduling.py decides.

Dates and times are typed in the clinic's own zone, whoever types them and wherever
the server runs; each form turns them into aware datetimes in that zone.
"""

from datetime import date, datetime

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from journeys.models import Location, PreopResult, PreopTestType

# Where a refusal from journeys/scheduling.py shows: its argument's name -> the field.
FIELD_FOR = {"starts_at": "day", "ends_at": "ends"}


def add_refusal(form, exc):
    """Put a ValidationError from journeys/scheduling.py next to the field it is about."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        field = FIELD_FOR.get(key, key)
        form.add_error(field if field in form.fields else None, errors)


def _date_input():
    return forms.DateInput(attrs={"type": "date"})


def _time_input():
    return forms.TimeInput(attrs={"type": "time"})


class SlotForm(forms.Form):
    """A date, a start and an end time in the clinic's zone, and where."""

    day = forms.DateField(label=_("Date"), widget=_date_input())
    starts = forms.TimeField(label=_("Starts"), widget=_time_input())
    ends = forms.TimeField(label=_("Ends"), widget=_time_input())
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), required=False
    )

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = journey.clinic.zone
        self.fields["location"].queryset = Location.objects.filter(
            clinic_id=journey.clinic_id
        ).order_by("name")

    def clean(self):
        data = super().clean()
        day, starts, ends = data.get("day"), data.get("starts"), data.get("ends")
        if day is not None and starts is not None and ends is not None:
            data["starts_at"] = datetime.combine(day, starts, tzinfo=self.zone)
            data["ends_at"] = datetime.combine(day, ends, tzinfo=self.zone)
        return data

    def slot_kwargs(self):
        data = self.cleaned_data
        return {
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "location": data["location"],
        }


class SurgeryForm(SlotForm):
    pass


class FollowUpForm(SlotForm):
    pass


class RescheduleForm(SlotForm):
    pass


class PreopTestForm(SlotForm):
    test_type = forms.ModelChoiceField(label=_("Test"), queryset=PreopTestType.objects.none())
    field_order = ["test_type", "day", "starts", "ends", "location"]

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, journey=journey, **kwargs)
        self.fields["test_type"].queryset = PreopTestType.objects.filter(
            clinic_id=journey.clinic_id
        ).order_by("name")


class TherapySeriesForm(SlotForm):
    sessions_per_week = forms.IntegerField(label=_("Sessions a week"), initial=2)
    weeks = forms.IntegerField(label=_("Number of weeks"), initial=6)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On these weekdays"),
        choices=sorted(WEEKDAYS.items()),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for the usual spread."),
    )
    skip = forms.CharField(
        label=_("Skip these dates"),
        required=False,
        help_text=_("For example: 2027-03-17, 2027-03-24"),
    )
    field_order = ["day", "starts", "ends", "sessions_per_week", "weeks", "weekdays", "skip"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].label = _("First day")

    def clean_skip(self):
        days = set()
        for part in self.cleaned_data["skip"].replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                days.add(date.fromisoformat(part.strip()))
            except ValueError:
                raise forms.ValidationError(
                    _("“%(value)s” is not a date; write dates as YYYY-MM-DD."),
                    params={"value": part.strip()},
                ) from None
        return days

    def series_kwargs(self):
        data = self.cleaned_data
        return {
            **self.slot_kwargs(),
            "sessions_per_week": data["sessions_per_week"],
            "weeks": data["weeks"],
            "weekdays": data["weekdays"],
            "skip": data["skip"],
        }


class ResultForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[
            (PreopResult.CLEARED, PreopResult.CLEARED.label),
            (PreopResult.NEEDS_REVIEW, PreopResult.NEEDS_REVIEW.label),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Required when the result needs review."),
    )
