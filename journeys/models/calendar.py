"""A patient's private calendar feed link: phones subscribe to it without signing in."""

from django.conf import settings
from django.db import models

from journeys.models.journeys import Journey


class CalendarLink(models.Model):
    """The one live feed link of a journey. Revoking deletes the row; rotating replaces it.

    Only the SHA-256 of the token is stored, so a copy of the database exposes no live
    feed URL; the patient sees the URL once, when it is made (journeys/calendar.py).
    """

    journey = models.OneToOneField(Journey, on_delete=models.CASCADE, related_name="calendar_link")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"Calendar link for journey {self.journey_id}"
