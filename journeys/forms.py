"""Forms: they parse and check what a person typed; the functions they feed decide."""

from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.models import (
    Channel,
    ChecklistItem,
    JourneyMedication,
    JourneyStatus,
    Location,
    Medication,
    ProcedureTemplate,
    Role,
    Stage,
    Step,
    User,
)
from journeys.onboarding import validate_date_of_birth, validate_phone
from journeys.worklist import FLAGS, SORTS

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


class SetPasswordForm(forms.Form):
    """Choosing a password from an invitation; Django's validators run in invitation_accept."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def password_rules(self):
        return password_validation.password_validators_help_texts()

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", _("The two passwords are not the same."))
        return data


class EnrolPatientForm(forms.Form):
    """A coordinator enrolling a patient of their own clinic."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone"), max_length=40, validators=[validate_phone])
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=User._meta.get_field("language").choices, initial="en"
    )
    procedure = forms.ModelChoiceField(label=_("Procedure"), queryset=ProcedureTemplate.objects)
    surgeon = forms.ModelChoiceField(label=_("Surgeon"), queryset=User.objects)
    surgery_date = forms.DateField(
        label=_("Surgery date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    surgery_time = forms.TimeField(
        label=_("Surgery time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects, required=False
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["procedure"].queryset = ProcedureTemplate.objects.filter(
            clinic=clinic, is_active=True
        ).order_by("name")
        self.fields["surgeon"].queryset = User.objects.filter(
            clinic=clinic, role=Role.STAFF, is_active=True
        ).order_by("full_name")
        self.fields["location"].queryset = Location.objects.filter(clinic=clinic).order_by("name")

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        validate_date_of_birth(value, today=timezone.now().astimezone(self.clinic.zone).date())
        return value

    def clean(self):
        data = super().clean()
        day, at = data.get("surgery_date"), data.get("surgery_time")
        if (day is None) != (at is None):
            raise forms.ValidationError(_("Give both the surgery date and time, or neither."))
        # Typed in the clinic's own time, whoever is typing and wherever they are.
        data["surgery_at"] = (
            datetime.combine(day, at, tzinfo=self.clinic.zone) if day is not None else None
        )
        if data["surgery_at"] is not None and data["surgery_at"] <= timezone.now():
            self.add_error("surgery_date", _("The surgery date must be in the future."))
        return data

    def enrol_kwargs(self):
        data = self.cleaned_data
        fields = ("full_name", "email", "phone", "date_of_birth", "language", "procedure")
        return {
            **{name: data[name] for name in fields},
            "surgeon": data["surgeon"],
            "surgery_at": data["surgery_at"],
            "location": data["location"],
        }


class CaregiverInviteForm(forms.Form):
    full_name = forms.CharField(label=_("Their name"), max_length=200)
    email = forms.EmailField(label=_("Their email"))
    relationship = forms.CharField(
        label=_("How they are related to you"),
        max_length=60,
        required=False,
        help_text=_("For example: daughter, husband, friend."),
    )


class MedicationAddForm(forms.Form):
    """A medicine the patient takes: a formulary entry, or their own words for one."""

    medication = forms.ModelChoiceField(
        label=_("From the clinic's list"), queryset=Medication.objects.none(), required=False
    )
    free_text = forms.CharField(
        label=_("Or as the patient says it"),
        max_length=200,
        required=False,
        help_text=_("Not in the list? Type it; it is flagged for classification."),
    )

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["medication"].queryset = Medication.objects.filter(
            clinic=journey.clinic_id, is_active=True
        )

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("medication") is None and not data.get("free_text"):
            raise forms.ValidationError(
                _("Choose a medicine from the list, or type what the patient takes.")
            )
        return data


class MedicationClassifyForm(forms.Form):
    """Staff saying which formulary entry a free-text medicine is."""

    item = forms.ModelChoiceField(queryset=JourneyMedication.objects.none())
    medication = forms.ModelChoiceField(label=_("Medicine"), queryset=Medication.objects.none())

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = JourneyMedication.objects.filter(journey=journey)
        self.fields["medication"].queryset = Medication.objects.filter(
            clinic=journey.clinic_id, is_active=True
        )


class MedicationRemoveForm(forms.Form):
    item = forms.ModelChoiceField(queryset=JourneyMedication.objects.none())

    def __init__(self, *args, journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = JourneyMedication.objects.filter(journey=journey)


class PreferencesForm(forms.Form):
    """How and when a patient hears from us. The rules (a phone for texts, sensible quiet
    hours) are journeys.reconcile.reminder_preferences_set's; this only parses."""

    reminder_channel = forms.ChoiceField(
        label=_("Send my reminders by"), choices=Channel.choices, widget=forms.RadioSelect
    )
    quiet_start = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Reminders that can wait are held until then. Urgent ones still come."),
    )
    language = forms.ChoiceField(label=_("Language"))
    email_optional_reminders = forms.BooleanField(
        label=_("Email me optional reminders"),
        required=False,
        help_text=_("Reminders about fasting, medicines and arriving for surgery always come."),
    )

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
        if not patient.phone:
            # Texts are offered only with a number on file; a posted "sms" still reaches
            # the rule, which says why it cannot be.
            self.fields["reminder_channel"].widget.choices = [Channel.choices[0]]


# The clinic's ways of writing a date: ISO, and the US month/day/year on its paperwork.
CLINIC_DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]
DATE_CHARACTERS = set("0123456789/-. ")


class WorklistFilterForm(forms.Form):
    """The worklist's filters, from the query string; every field may be left empty."""

    q = forms.CharField(label=_("Name or date of birth"), max_length=200, required=False)
    step = forms.ChoiceField(
        label=_("Step"), choices=[("", _("Any step")), *Step.choices], required=False
    )
    surgeon = forms.ModelChoiceField(
        label=_("Surgeon"), queryset=User.objects.none(), required=False, empty_label=_("Any")
    )
    surgery_from = forms.DateField(
        label=_("Surgery from"),
        input_formats=CLINIC_DATE_FORMATS,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    surgery_to = forms.DateField(
        label=_("Surgery until"),
        input_formats=CLINIC_DATE_FORMATS,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    flag = forms.ChoiceField(
        label=_("Needs attention"),
        choices=[("", _("Any")), *FLAGS.items()],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
        required=False,
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["surgeon"].queryset = User.objects.filter(
            clinic=clinic, role=Role.STAFF
        ).order_by("full_name")

    def clean_q(self):
        text = " ".join(self.cleaned_data["q"].split())
        if not text or not set(text) <= DATE_CHARACTERS:
            return text
        for pattern in CLINIC_DATE_FORMATS:
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise forms.ValidationError(
            _(
                "“%(text)s” is not a date we can read. Write a date of birth as 1961-04-12 or "
                "04/12/1961, or search by name."
            ),
            params={"text": text},
        )

    def clean(self):
        data = super().clean()
        q = data.get("q")
        data["date_of_birth"] = q if not isinstance(q, str) else None
        data["name"] = q if isinstance(q, str) else ""
        start, end = data.get("surgery_from"), data.get("surgery_to")
        if start and end and start > end:
            self.add_error("surgery_to", _("The end date is before the start date."))
        return data

    def describe(self):
        """The filters in use, as plain text for the export's audit entry."""
        return {name: str(value) for name, value in self.cleaned_data.items() if value}


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea)
    visible_to_patient = forms.BooleanField(
        label=_("Show this note to the patient"), required=False
    )


class ScheduleDayForm(forms.Form):
    date = forms.DateField(label=_("Day"), input_formats=CLINIC_DATE_FORMATS)
