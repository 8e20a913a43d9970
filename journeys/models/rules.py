"""A clinic's clinical rules (fasting, the medication formulary) and each patient's medicines.

Seeded from ../shared/CLINICAL.md by journeys/defaults.py and edited by the clinic in
the admin: the numbers here are the clinic's, never the software's. The planner
(journeys/planning.py) turns them into reminders.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from journeys.models.journeys import Journey
from journeys.models.people import Clinic


class FastingKind(models.TextChoices):
    SOLIDS = "solids", _("Solid food")
    CLEAR_LIQUIDS = "clear_liquids", _("Clear liquids")
    CUSTOM = "custom", _("Other (custom)")


class FastingAnchor(models.TextChoices):
    ARRIVAL = "arrival", _("Hours before the arrival time")
    SURGERY = "surgery", _("Hours before the surgery time")
    MIDNIGHT = "midnight", _("Hours before midnight at the start of surgery day")


class FastingRule(models.Model):
    """One cut-off: "no solid food 8 hours before arrival", or "nothing after midnight"."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="fasting_rules")
    kind = models.CharField(max_length=20, choices=FastingKind.choices)
    anchor = models.CharField(
        max_length=20, choices=FastingAnchor.choices, default=FastingAnchor.ARRIVAL
    )
    hours_before = models.PositiveSmallIntegerField(validators=[MaxValueValidator(72)])
    instruction = models.CharField(
        max_length=200,
        help_text="What the patient must stop, read before the cut-off time: "
        "“No solid food, milk or chewing gum” … after 21:30 on Sunday 14 March.",
    )
    details = models.CharField(max_length=300, blank=True, help_text="Shown after the cut-off.")
    source_note = models.TextField(blank=True, help_text="Where the number comes from.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "kind", "id"]
        constraints = [
            # The planner keys solids and clear-liquid reminders by kind: one of each.
            models.UniqueConstraint(
                fields=["clinic", "kind"],
                condition=~Q(kind="custom"),
                name="one_fasting_rule_per_kind",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.hours_before} h, {self.get_anchor_display()}"


class DrugClass(models.TextChoices):
    ANTIPLATELET = "antiplatelet", _("Antiplatelet")
    ANTICOAGULANT = "anticoagulant", _("Anticoagulant")
    NSAID = "nsaid", _("Anti-inflammatory (NSAID)")
    SGLT2 = "sglt2", _("SGLT2 inhibitor")
    GLP1 = "glp1", _("GLP-1 agonist")
    DIABETES = "diabetes", _("Other diabetes medicine")
    SUPPLEMENT = "supplement", _("Supplement or herbal")
    RHEUMATOLOGY = "rheumatology", _("Rheumatology")
    HORMONE = "hormone", _("Hormone")
    OTHER = "other", _("Other")


class HoldPolicy(models.TextChoices):
    AUTO = "auto", _("Stop on schedule (reminders)")
    PRESCRIBER = "prescriber", _("Prescriber decides (no stop reminder)")
    CONTINUE = "continue", _("Keep taking")


class Medication(models.Model):
    """A formulary entry: a medicine and the clinic's hold rule for it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(
        max_length=120, help_text="As patients read it: “Clopidogrel (Plavix)”."
    )
    use = models.CharField(
        max_length=120,
        blank=True,
        help_text="Tells two entries for one drug apart: “with a coronary stent”.",
    )
    drug_class = models.CharField(max_length=20, choices=DrugClass.choices)
    hold_policy = models.CharField(
        max_length=20, choices=HoldPolicy.choices, default=HoldPolicy.AUTO
    )
    hold_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(60)],
        help_text="Whole days without the drug before surgery; 0: only the day of surgery.",
    )
    hold_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(240)],
        help_text="For hour-precise holds (enoxaparin): last dose this many hours before.",
    )
    heads_up_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(30)],
        help_text="A heads-up this many days before the stop. 0: none.",
    )
    restart_text = models.CharField(
        max_length=300, blank=True, help_text="When to start again, in the patient's words."
    )
    patient_note = models.CharField(
        max_length=300, blank=True, help_text="Added to every reminder about this medicine."
    )
    source_note = models.TextField(blank=True, help_text="Source and confidence, for staff.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "use"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "name", "use"], name="unique_medication_per_clinic"
            ),
            models.CheckConstraint(
                condition=Q(hold_days__isnull=True) | Q(hold_hours__isnull=True),
                name="medication_hold_in_days_or_hours",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.use})" if self.use else self.name

    def clean(self):
        if self.hold_days is not None and self.hold_hours is not None:
            raise ValidationError(_("Give the hold in days or in hours, not both."))
        if (
            self.hold_policy == HoldPolicy.AUTO
            and self.hold_days is None
            and (self.hold_hours is None)
        ):
            raise ValidationError(
                _("A medicine stopped on schedule needs its hold in days or in hours.")
            )

    @property
    def hold_label(self):
        if self.hold_policy == HoldPolicy.CONTINUE:
            return _("keep taking")
        if self.hold_policy == HoldPolicy.PRESCRIBER:
            return _("prescriber decides")
        if self.hold_hours is not None:
            return _("stop %(hours)s h before") % {"hours": self.hold_hours}
        if self.hold_days == 0:
            return _("not on the day of surgery")
        return _("stop %(days)s days before") % {"days": self.hold_days}


class JourneyMedication(models.Model):
    """A medicine the patient takes: from the formulary, or free text staff must classify.

    Until it is classified (`medication` set), a free-text entry plans no hold reminder.
    Written only by journeys/medications.py.
    """

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="medications")
    medication = models.ForeignKey(
        Medication, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    free_text = models.CharField(
        max_length=200, blank=True, help_text="The patient's own words for it."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    classified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(medication__isnull=False) | ~Q(free_text=""),
                name="journey_medication_names_something",
            ),
            models.UniqueConstraint(
                fields=["journey", "medication"],
                condition=Q(medication__isnull=False),
                name="unique_medication_per_journey",
            ),
        ]

    def __str__(self):
        return str(self.medication) if self.medication_id else self.free_text

    @property
    def needs_classification(self):
        return self.medication_id is None

    @property
    def known_at(self):
        """When the hold rule became known for this patient: the planner never schedules before."""
        return self.classified_at or self.added_at
