"""A clinic's own texts (step titles, checklist items, test preparation, fasting and
medicine instructions) as a patient reads them."""

from django.utils.translation import gettext


def clinic_text(value):
    """`value` in the active language if it is one of journeys/defaults.py's texts.

    The defaults are stored in English, as the clinic's own rows, and marked for the
    catalogue; translating them when shown (not when installed) keeps one row per clinic
    whatever its patients read. A text the clinic edited matches no catalogue entry and
    is shown exactly as written: a clinic writing its own text writes it in its own
    language.
    """
    return gettext(value) if value else value
