"""Care-team notes on a journey: internal by default, some shared with the patient."""

from django.conf import settings
from django.db import models

from journeys.models.journeys import Journey


class Note(models.Model):
    """Append-only: written by journeys/notes.py (note_add), never edited."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=2000)
    # Off: only the care team reads it. On: the patient and their caregivers see it too.
    visible_to_patient = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["journey", "-created_at"])]

    def __str__(self):
        return f"Note on journey {self.journey_id} by {self.author_id}"
