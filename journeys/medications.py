"""A patient's medicines: adding, classifying and removing them, and what their holds mean.

A medicine comes from the clinic's formulary, or as free text that staff must
classify; a free-text entry plans no hold reminder until it is classified. Each
function validates first, writes inside one transaction, records the change in the
audit trail and re-plans the journey's reminders, so a change is never half-applied.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from journeys.audit import audit_record
from journeys.models import HoldPolicy, JourneyMedication, Medication
from journeys.planning import hold_window
from journeys.reconcile import medication_fact, reminders_reconcile


def _ensure_writable(journey):
    if journey.is_read_only:
        raise ValidationError(
            _("This journey is %(status)s and can no longer be changed.")
            % {"status": journey.get_status_display().lower()},
            code="read_only",
        )


def _check_formulary_entry(journey, medication):
    if medication.clinic_id != journey.clinic_id:
        raise ValidationError(_("That medicine is not in this clinic's list."), code="clinic")
    if not medication.is_active:
        raise ValidationError(
            _("%(name)s is no longer in the clinic's list.") % {"name": medication},
            code="inactive",
        )
    taken = JourneyMedication.objects.filter(journey=journey, medication=medication)
    if taken.exists():
        raise ValidationError(
            _("%(name)s is already on this patient's list.") % {"name": medication},
            code="duplicate",
        )


@transaction.atomic
def journey_medication_add(*, journey, by, medication=None, free_text="", request=None):
    """Add a formulary medicine, or the patient's own words for one (to be classified)."""
    _ensure_writable(journey)
    free_text = free_text.strip()
    if medication is None and not free_text:
        raise ValidationError(
            _("Choose a medicine from the list, or type what the patient takes."),
            code="empty",
        )
    if medication is not None:
        _check_formulary_entry(journey, medication)
    item = JourneyMedication(
        journey=journey,
        medication=medication,
        free_text=free_text,
        added_by=by,
        added_at=timezone.now(),
    )
    item.full_clean()
    item.save()
    audit_record(
        actor=by,
        action="medication.add",
        patient=journey.patient,
        obj=item,
        request=request,
        medication=str(medication) if medication else None,
        free_text=free_text,
    )
    reminders_reconcile(journey=journey)
    return item


@transaction.atomic
def journey_medication_classify(*, item, medication, by, request=None):
    """Say which formulary entry a patient's medicine is; its hold reminders follow."""
    journey = item.journey
    _ensure_writable(journey)
    if item.medication_id == medication.pk:
        return item
    _check_formulary_entry(journey, medication)
    previous = item.medication
    item.medication = medication
    item.classified_by = by
    item.classified_at = timezone.now()
    item.full_clean()
    item.save(update_fields=["medication", "classified_by", "classified_at"])
    audit_record(
        actor=by,
        action="medication.classify",
        patient=journey.patient,
        obj=item,
        request=request,
        free_text=item.free_text,
        previous=str(previous) if previous else None,
        medication=str(medication),
    )
    reminders_reconcile(journey=journey)
    return item


@transaction.atomic
def journey_medication_remove(*, item, by, request=None):
    """The patient no longer takes it: its pending reminders are cancelled, sent ones kept."""
    journey = item.journey
    _ensure_writable(journey)
    audit_record(
        actor=by,
        action="medication.remove",
        patient=journey.patient,
        obj=item,
        request=request,
        medication=str(item),
    )
    item.delete()
    reminders_reconcile(journey=journey)


def formulary(clinic):
    """The clinic's active formulary entries, for a choice list: one query."""
    return list(Medication.objects.filter(clinic=clinic, is_active=True).order_by("name", "use"))


def journey_medications(journey):
    """The journey's medicines with their formulary entries and who added them: one query."""
    return list(
        JourneyMedication.objects.filter(journey=journey)
        .select_related("medication", "added_by", "classified_by")
        .order_by("added_at", "id")
    )


@dataclass
class MedicationRow:
    """One line of the staff page's medicine list."""

    item: JourneyMedication
    hold: str
    warning: str = ""


def medication_rows(journey, items):
    """What each medicine's hold means for this journey's surgery, in staff words."""
    zone = journey.clinic.zone
    rows = []
    for item in items:
        if item.needs_classification:
            rows.append(
                MedicationRow(
                    item,
                    _("not in the list yet"),
                    _("Classify it: no hold reminder is planned until then."),
                )
            )
            continue
        med = item.medication
        if med.hold_policy == HoldPolicy.PRESCRIBER:
            rows.append(
                MedicationRow(
                    item,
                    med.hold_label,
                    _("Get written instructions from the prescriber; no stop reminder is sent."),
                )
            )
            continue
        window = hold_window(medication_fact(item), journey.surgery_at, zone)
        rows.append(_hold_row(item, window, med, zone))
    return rows


def _short(day):
    return dateformat.format(day, "D j M")


def _hold_row(item, window, med, zone):
    if window is None:
        return MedicationRow(item, str(med.hold_label))
    if window.cutoff is not None:
        cutoff = window.cutoff.astimezone(zone)
        hold = _("last dose before %(time)s on %(day)s") % {
            "time": f"{cutoff:%H:%M}",
            "day": _short(cutoff.date()),
        }
    else:
        hold = _("last dose %(last)s; none from %(stop)s") % {
            "last": _short(window.last_day),
            "stop": _short(window.stop_day),
        }
    warning = ""
    if window.known_too_late(item.known_at, zone):
        warning = _(
            "Recorded after the stop date: the hold is shorter than the rule. "
            "The patient was told to stop now and call."
        )
    return MedicationRow(item, f"{med.hold_label}: {hold}", warning)
