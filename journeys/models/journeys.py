"""A patient's own copy of a procedure: stages, checklist items and their history.

Enrolment copies the template into these rows (journeys/enrolment.py), so editing a
template never changes a journey in flight. Stage status is written only by
journeys/transitions.py.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from journeys.access import JourneyQuerySet
from journeys.models.people import Clinic, Location
from journeys.models.procedures import (
    SURGERY_DAY_STEPS,
    Anchor,
    Owner,
    ProcedureTemplate,
    Step,
)


class JourneyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")


class Journey(models.Model):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="journeys"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="journeys")
    procedure = models.ForeignKey(
        ProcedureTemplate, on_delete=models.PROTECT, related_name="journeys"
    )
    procedure_name = models.CharField(max_length=120)
    surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surgeries",
    )
    surgery_at = models.DateTimeField(null=True, blank=True)
    surgery_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=JourneyStatus.choices, default=JourneyStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    enrolled_at = models.DateTimeField()
    # The step of the first stage not done or skipped ("" when none is left), kept by
    # journeys/enrolment.py's current_steps_refresh wherever stages are written: the
    # worklist filters and sorts a clinic's journeys by it from an index.
    current_step = models.CharField(max_length=20, choices=Step.choices, blank=True, editable=False)
    # Copied from the procedure at enrolment, like the stages.
    required_tests = models.ManyToManyField(
        "journeys.PreopTestType", blank=True, related_name="journeys"
    )

    objects = JourneyQuerySet.as_manager()

    class Meta:
        ordering = ["surgery_at", "id"]
        indexes = [
            models.Index(fields=["clinic", "status", "surgery_at"]),
            # The worklist's first page: a clinic's open journeys in surgery order, read
            # in index order up to the page's end instead of joining and sorting them all.
            models.Index(
                fields=["clinic", "surgery_at", "id"],
                condition=models.Q(status__in=[JourneyStatus.ACTIVE, JourneyStatus.ON_HOLD]),
                name="journey_open_by_surgery",
            ),
            # The worklist narrowed to one step, in surgery order.
            models.Index(
                fields=["clinic", "current_step", "surgery_at", "id"],
                condition=models.Q(status__in=[JourneyStatus.ACTIVE, JourneyStatus.ON_HOLD]),
                name="journey_open_by_step",
            ),
        ]

    def __str__(self):
        return f"{self.patient} – {self.procedure_name}"

    @property
    def is_read_only(self):
        return self.status in (JourneyStatus.COMPLETED, JourneyStatus.CANCELLED)

    def surgery_local(self):
        return self.surgery_at.astimezone(self.clinic.zone) if self.surgery_at else None


class StageStatus(models.TextChoices):
    PENDING = "pending", _("To come")
    ACTIVE = "active", _("In progress")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    BLOCKED = "blocked", _("On hold")


class Stage(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    step = models.CharField(max_length=20, choices=Step.choices)
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    explanation = models.TextField()
    status = models.CharField(
        max_length=20, choices=StageStatus.choices, default=StageStatus.PENDING
    )
    blocked_reason = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every transition; a form carrying an older version is stale.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "step"], name="unique_step_per_journey")
        ]
        indexes = [
            # A journey's current step is its first open stage: the worklist reads it
            # for every journey it filters or sorts by step.
            models.Index(
                fields=["journey", "position"],
                condition=~models.Q(status__in=[StageStatus.DONE, StageStatus.SKIPPED]),
                name="stage_open_by_position",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def is_surgery_day(self):
        return self.step in SURGERY_DAY_STEPS

    @property
    def is_finished(self):
        return self.status in (StageStatus.DONE, StageStatus.SKIPPED)


class StageEvent(models.Model):
    """Append-only history of a stage: who moved it, when, and why."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=StageStatus.choices)
    to_status = models.CharField(max_length=20, choices=StageStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.stage}: {self.from_status} → {self.to_status}"


class ChecklistItem(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="checklist_items")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="checklist_items")
    text = models.CharField(max_length=300)
    owner = models.CharField(max_length=20, choices=Owner.choices, default=Owner.PATIENT)
    anchor = models.CharField(max_length=20, choices=Anchor.choices, default=Anchor.SURGERY)
    offset_days = models.IntegerField(default=0)
    required = models.BooleanField(default=True)
    # Computed from the anchor by journeys/enrolment.py; empty until the anchor is known.
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self):
        return self.text

    @property
    def is_done(self):
        return self.done_at is not None
