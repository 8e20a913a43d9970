"""Caregiver (proxy) access: a patient or staff lets someone follow one journey, read-only."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from journeys.models.journeys import Journey


class CaregiverGrant(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="caregiver_grants")
    caregiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="caregiver_grants"
    )
    relationship = models.CharField(max_length=60, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()
    # Revoking keeps the row as history; access ends the moment this is set.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "caregiver"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_grant_per_caregiver",
            )
        ]

    def __str__(self):
        return f"{self.caregiver} follows {self.journey}"

    @property
    def is_live(self):
        return self.revoked_at is None
