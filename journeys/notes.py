"""Care-team notes on a journey: the only code that writes them."""

from collections import namedtuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.access import is_care_team
from journeys.audit import audit_record
from journeys.models import Note


@transaction.atomic
def note_add(*, journey, by, text, visible_to_patient=False, request=None):
    """Add a note to `journey`, or raise ValidationError saying why not."""
    if not is_care_team(by) or by.clinic_id != journey.clinic_id:
        raise ValidationError(_("Only the care team can write notes."), code="forbidden")
    if journey.is_read_only:
        raise ValidationError(_("This journey is closed and can no longer be changed."))
    text = text.strip()
    if not text:
        raise ValidationError(_("Please write the note first."), code="blank")
    note = Note(
        journey=journey,
        author=by,
        text=text,
        visible_to_patient=visible_to_patient,
        created_at=timezone.now(),
    )
    note.full_clean()
    note.save()
    # The note's words stay out of the trail: it records that a note was written.
    audit_record(
        actor=by,
        action="note.add",
        patient=journey.patient,
        obj=note,
        request=request,
        visible_to_patient=visible_to_patient,
    )
    return note


# What a page shows of a note: its author's name, not their whole account.
_Note = namedtuple("_Note", "author created_at visible_to_patient text")


def journey_notes(journey):
    """Every note on `journey`, newest first: the care team's view (one query), each with
    its author's name."""
    return _notes(Note.objects.filter(journey=journey))


def shared_notes(journey):
    """The notes the care team chose to show the patient, newest first (one query)."""
    return _notes(Note.objects.filter(journey=journey, visible_to_patient=True))


def _notes(notes):
    fields = ("author__full_name", "created_at", "visible_to_patient", "text")
    return [_Note(*note) for note in notes.values_list(*fields)]
