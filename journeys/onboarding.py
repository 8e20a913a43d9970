"""Bringing a new patient in: their account, their journey and their invitation, at once.

`patient_enrol` runs in one transaction: if any part is refused (a taken email, a
surgery date in the past), no account, journey or invitation is left behind and no
email goes out.
"""

import re
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.access import can_enrol
from journeys.audit import audit_record
from journeys.enrolment import journey_enroll
from journeys.invitations import invitation_send
from journeys.models import Role
from journeys.people import person_create

PHONE_CHARACTERS = re.compile(r"^[0-9 +\-()]+$")
OLDEST_PLAUSIBLE_AGE = 120


def validate_phone(value):
    """Digits with the usual separators (spaces, +, -, parentheses); 7 to 20 digits."""
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_CHARACTERS.match(value) or not 7 <= digits <= 20:
        raise ValidationError(
            _("Enter a phone number of 7 to 20 digits; spaces, +, - and brackets are fine."),
            code="phone",
        )


def validate_date_of_birth(value, *, today=None):
    """In the past, and no more than 120 years ago."""
    today = today or timezone.localdate()
    if value >= today:
        raise ValidationError(_("The date of birth must be in the past."), code="dob_future")
    if value < date(today.year - OLDEST_PLAUSIBLE_AGE, 1, 1):
        raise ValidationError(_("Please check the date of birth."), code="dob_implausible")


def _check_belongs_to_clinic(clinic, *, procedure, surgeon, location):
    # The form offers only the clinic's own choices; this holds for every other caller too.
    if not procedure.is_active:
        raise ValidationError(_("That procedure is no longer offered."), code="procedure")
    if surgeon is not None and (surgeon.clinic_id != clinic.pk or surgeon.role != Role.STAFF):
        raise ValidationError(_("The surgeon must be on this clinic's staff."), code="surgeon")
    if location is not None and location.clinic_id != clinic.pk:
        raise ValidationError(_("The location belongs to another clinic."), code="location")


@transaction.atomic
def patient_enrol(
    *,
    by,
    full_name,
    email,
    phone,
    date_of_birth,
    procedure,
    surgeon=None,
    surgery_at=None,
    location=None,
    language="en",
    request=None,
):
    """A new patient in `by`'s clinic, their journey, and an emailed invitation; all or none."""
    if not can_enrol(by):
        raise PermissionDenied("Only coordinators and clinic admins enrol patients.")
    clinic = by.clinic
    validate_phone(phone)
    validate_date_of_birth(date_of_birth, today=timezone.now().astimezone(clinic.zone).date())
    _check_belongs_to_clinic(clinic, procedure=procedure, surgeon=surgeon, location=location)
    patient = person_create(
        email=email,
        full_name=full_name,
        role=Role.PATIENT,
        clinic=clinic,
        phone=phone.strip(),
        date_of_birth=date_of_birth,
        language=language,
    )
    audit_record(actor=by, action="patient.create", patient=patient, obj=patient, request=request)
    journey = journey_enroll(
        patient=patient,
        procedure=procedure,
        by=by,
        surgery_at=surgery_at,
        surgeon=surgeon,
        location=location,
    )
    invitation_send(user=patient, by=by, request=request)
    return journey
