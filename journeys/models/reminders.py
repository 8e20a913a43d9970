"""Reminders as an outbox: the row is the guarantee, Celery only the fast path."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from journeys.models.journeys import Journey
from journeys.models.people import Channel


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Planned")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Reminder(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="reminders")
    # Semantic key from the planner, e.g. "checklist:17:due"; it may name a
    # medication, so it never leaves the database.
    key = models.CharField(max_length=200)
    # Sent to providers as the idempotency key: carries no patient data.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    due_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    urgent = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "key"], name="unique_reminder_key")
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
        ]

    def __str__(self):
        return f"{self.subject} ({self.get_status_display()})"


class Delivery(models.Model):
    """One attempt to send a reminder, written before the channel is called."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(null=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.channel} attempt at {self.started_at:%Y-%m-%d %H:%M}"
