from django import template

from journeys.clinic_text import clinic_text as translate_clinic_text

register = template.Library()


@register.filter
def clinic_text(value):
    """{{ stage.title|clinic_text }}: see journeys/clinic_text.py."""
    return translate_clinic_text(value)
