"""Procedure templates: what a clinic's procedure looks like before any patient has it."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from journeys.models.people import Clinic


class Step(models.TextChoices):
    """The ten steps of the spine-surgery journey, in order."""

    CONSULTATION = "consultation", _("Consultation")
    PREOP_TESTING = "preop_testing", _("Pre-operative testing")
    PREPARATION = "preparation", _("Preparation")
    ANESTHESIA = "anesthesia", _("Anesthesia")
    INCISION = "incision", _("Incision")
    BONE_REMOVAL = "bone_removal", _("Bone removal")
    FUSION = "fusion", _("Fusion")
    CLOSURE = "closure", _("Closure")
    RECOVERY = "recovery", _("Recovery")
    REHABILITATION = "rehabilitation", _("Rehabilitation")

    @classmethod
    def position_of(cls, step):
        return list(cls.values).index(step) + 1


SURGERY_DAY_STEPS = frozenset(
    {Step.ANESTHESIA, Step.INCISION, Step.BONE_REMOVAL, Step.FUSION, Step.CLOSURE}
)


class Owner(models.TextChoices):
    PATIENT = "patient", _("You")
    STAFF = "staff", _("Care team")
    COORDINATOR = "coordinator", _("Coordinator")


class Anchor(models.TextChoices):
    SURGERY = "surgery", _("Days relative to the surgery date")
    STAGE_START = "stage_start", _("Days after the stage starts")


class PreopTestType(models.Model):
    """A pre-operative test in the clinic's catalogue."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="test_types")
    name = models.CharField(max_length=120)
    prep_instructions = models.TextField(blank=True)
    validity_days = models.PositiveIntegerField(
        default=30, help_text="A result older than this before surgery no longer counts."
    )
    needs_fasting = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="unique_test_name_per_clinic")
        ]

    def __str__(self):
        return self.name


class ProcedureTemplate(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="procedures")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    required_tests = models.ManyToManyField(PreopTestType, blank=True, related_name="procedures")
    therapy_sessions_per_week = models.PositiveSmallIntegerField(
        default=2, validators=[MaxValueValidator(7)]
    )
    therapy_weeks = models.PositiveSmallIntegerField(default=6)
    therapy_starts_week = models.PositiveSmallIntegerField(
        default=6, help_text="Weeks after surgery when outpatient therapy begins."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="unique_procedure_per_clinic")
        ]

    def __str__(self):
        return self.name


class ProcedureStep(models.Model):
    """One step a procedure includes, with the words the patient reads."""

    procedure = models.ForeignKey(ProcedureTemplate, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=20, choices=Step.choices)
    position = models.PositiveSmallIntegerField(editable=False)
    title = models.CharField(max_length=120)
    explanation = models.TextField(help_text="Plain words a patient understands.")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "step"], name="unique_step_per_procedure")
        ]

    def __str__(self):
        return f"{self.procedure}: {self.title}"

    def save(self, *args, **kwargs):
        # The position is a fact of the step, kept in the row so SQL can order by it.
        self.position = Step.position_of(self.step)
        super().save(*args, **kwargs)


class ChecklistItemTemplate(models.Model):
    procedure_step = models.ForeignKey(
        ProcedureStep, on_delete=models.CASCADE, related_name="checklist_items"
    )
    text = models.CharField(max_length=300)
    owner = models.CharField(max_length=20, choices=Owner.choices, default=Owner.PATIENT)
    anchor = models.CharField(max_length=20, choices=Anchor.choices, default=Anchor.SURGERY)
    offset_days = models.IntegerField(
        default=0,
        validators=[MinValueValidator(-365), MaxValueValidator(365)],
        help_text="Negative means before the anchor: -7 is a week before surgery.",
    )
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["offset_days", "id"]

    def __str__(self):
        return self.text
