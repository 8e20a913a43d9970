"""The audit trail: who read or changed which patient's data, when, from where."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Plain words for the actions a patient reads in "who has looked at my record".
ACTION_LABELS = {
    "journey.view": _("Opened the journey"),
    "journey.enroll": _("Enrolled the patient"),
    "journey.surgery_set": _("Set the surgery date"),
    "journey.surgery_moved": _("Moved the surgery date"),
    "journey.status": _("Changed the journey's status"),
    "stage.transition": _("Updated a step"),
    "checklist.add": _("Added a checklist item"),
    "checklist.remove": _("Removed a checklist item"),
    "checklist.tick": _("Ticked a checklist item"),
    "checklist.untick": _("Unticked a checklist item"),
    "record.access_log": _("Looked at this access log"),
    "record.export": _("Downloaded the record"),
    "access.denied": _("Tried to open a record they may not see"),
    "patient.create": _("Created the patient's account"),
    "patient.reminder_preferences": _("Changed reminder preferences"),
    "person.language": _("Changed the language"),
    "invitation.send": _("Sent an invitation"),
    "invitation.accept": _("Accepted the invitation"),
    "invitation.refused": _("Tried an invitation link that no longer works"),
    "caregiver.grant": _("Let someone follow the journey"),
    "caregiver.revoke": _("Stopped someone following the journey"),
    "medication.add": _("Added a medicine"),
    "medication.classify": _("Matched a medicine to the clinic's list"),
    "medication.remove": _("Removed a medicine"),
    "medication.view": _("Opened a medicine"),
    "reminder.resend": _("Sent a reminder again"),
    "reminders.unsubscribe": _("Stopped optional reminder emails"),
    "calendar.link_create": _("Made a new calendar link"),
    "calendar.link_revoke": _("Turned off the calendar link"),
    "calendar.fetch": _("A calendar app fetched the appointments"),
    "note.add": _("Wrote a note"),
    "worklist.export": _("Downloaded the patient list"),
    "schedule.export": _("Downloaded a day's schedule"),
    "appointment.schedule": _("Booked an appointment"),
    "appointment.reschedule": _("Moved an appointment"),
    "appointment.cancel": _("Cancelled an appointment"),
    "appointment.result": _("Recorded a test result"),
}


class AuditEvent(models.Model):
    """Append-only: written by journeys/audit.py, never edited or deleted.

    Its two users are references without a database constraint: a list page writes an
    audit row for each of its 50 patients, and a constraint made each row lock its
    patient's and its reader's user rows until the commit (every reader of the same
    page queued on the same row). Django still refuses to delete a user with a trail
    (PROTECT, tests/test_audit.py), and the rows are never updated or deleted.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(max_length=60)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        db_constraint=False,
        # The (patient, -at) index below serves every lookup by patient; a second index
        # would only cost each audit row one more insert.
        db_index=False,
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    ip_address = models.GenericIPAddressField(null=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    @property
    def description(self):
        return ACTION_LABELS.get(self.action, self.action)
