"""Appointments: consultations, pre-op tests, surgery, therapy and follow-ups."""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from journeys.models.journeys import Journey
from journeys.models.people import Location
from journeys.models.procedures import PreopTestType


class AppointmentKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    PREOP_TEST = "preop_test", _("Pre-operative test")
    SURGERY = "surgery", _("Surgery")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    THERAPY = "therapy", _("Physical therapy")


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    # A context of their own: in Spanish an appointment (la cita) takes other endings
    # than a journey or a reminder.
    COMPLETED = "completed", pgettext_lazy("appointment", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("appointment", "Cancelled")
    NO_SHOW = "no_show", _("Missed")


class PreopResult(models.TextChoices):
    PENDING = "pending", _("Waiting for result")
    CLEARED = "cleared", _("Cleared")
    NEEDS_REVIEW = "needs_review", _("Needs review")


class Appointment(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="appointments")
    kind = models.CharField(max_length=20, choices=AppointmentKind.choices)
    starts_at = models.DateTimeField()
    duration = models.DurationField(default=timedelta(minutes=30))
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    test_type = models.ForeignKey(
        PreopTestType, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    result = models.CharField(max_length=20, choices=PreopResult.choices, blank=True)
    result_note = models.CharField(max_length=300, blank=True)
    resulted_at = models.DateTimeField(null=True, blank=True)
    # The sessions of a therapy series booked together share it, so they can be
    # cancelled together.
    series = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["journey", "starts_at"]),
            # The clinic calendar and the day's export ask for one day's appointments:
            # without this, every journey of the clinic is probed for that day.
            models.Index(fields=["starts_at"], name="appointment_by_start"),
        ]

    def __str__(self):
        label = self.test_type.name if self.test_type_id else self.get_kind_display()
        return f"{label} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self):
        return self.starts_at + self.duration

    @property
    def title(self):
        return self.test_type.name if self.test_type_id else self.get_kind_display()
