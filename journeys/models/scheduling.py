"""Appointments: consultations, pre-op tests, surgery, therapy and follow-ups."""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from journeys.access import AppointmentQuerySet
from journeys.models.journeys import Journey
from journeys.models.people import Clinic, Location
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


class AppointmentRows(AppointmentQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(), which keeps each row's copy of its journey's clinic.
        objs = list(objs)
        for appointment in objs:
            appointment.clinic_id = appointment.journey.clinic_id
        return super().bulk_create(objs, *args, **kwargs)


class Appointment(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="appointments")
    # The journey's clinic, copied by save() and bulk_create(), so that a clinic's day
    # (the calendar, the day's export) is read from one index range rather than from
    # every clinic's appointments that day. A journey never changes clinic.
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        blank=True,
        db_index=False,
    )
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

    objects = AppointmentRows.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["journey", "starts_at"]),
            # The clinic calendar and the day's export ask for one clinic's day.
            models.Index(fields=["clinic", "starts_at"], name="appointment_by_clinic_day"),
        ]

    def __str__(self):
        label = self.test_type.name if self.test_type_id else self.get_kind_display()
        return f"{label} at {self.starts_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # Only when new: a saved appointment already has it, and reading the journey
        # again would cost every reschedule and result a query.
        if self.clinic_id is None:
            self.clinic_id = self.journey.clinic_id
        super().save(*args, **kwargs)

    @property
    def ends_at(self):
        return self.starts_at + self.duration

    @property
    def title(self):
        return self.test_type.name if self.test_type_id else self.get_kind_display()
