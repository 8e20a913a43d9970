"""Words, dates and links for pages that print a hundred rows: each computed once a
page instead of once a row, with the same output as Django's own template tags.

A page of rows read with values() holds ids and raw choices; these turn them into what
the templates printed from model instances (get_FOO_display, the `date` filter,
{% url %}) at a fraction of the cost. tests/test_page_text.py holds each to its
template twin.
"""

from datetime import datetime
from functools import cache

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR


class Labels(dict):
    """{value: label} of a field's choices, translated once into the active language.

    get_FOO_display translates every choice of its field on each call; a page that
    labels a hundred rows looks its labels up here instead."""

    def __missing__(self, value):
        return value  # As get_FOO_display: a value outside the choices shows as itself.


def choice_labels(choices):
    return Labels((value, str(label)) for value, label in choices)


class PageDates:
    """Dates in words as the `date` template filter prints them, in the active language
    and time zone, for the format characters D, j, M, Y, m, d, H and i.

    The filter translates the day and month names again for every date it prints; a page
    of a hundred dates translates them once here. tests/test_page_text.py holds the two to
    the same output.
    """

    def __init__(self):
        self.days = [str(WEEKDAYS_ABBR[n]) for n in range(7)]
        self.months = [""] + [str(MONTHS_3[n]).title() for n in range(1, 13)]

    def __call__(self, value, format):
        if value is None:
            return ""  # As the filter, which prints nothing for no date.
        if isinstance(value, datetime):
            value = timezone.localtime(value)
        return _template(format).format(
            value, day=self.days[value.weekday()], month=self.months[value.month]
        )


# Each format character PageDates knows, as str.format() prints it: Django's D, j, M, Y,
# m, d, H and i (django/utils/dateformat.py).
_FORMAT_PARTS = {
    "D": "{day}",
    "j": "{0.day}",
    "M": "{month}",
    "Y": "{0.year:04d}",
    "m": "{0.month:02d}",
    "d": "{0.day:02d}",
    "H": "{0.hour:02d}",
    "i": "{0.minute:02d}",
    **{separator: separator for separator in " :,.-"},
}


@cache
def _template(format):
    """`format` as a str.format() template of a date and its day and month names."""
    unknown = set(format) - set(_FORMAT_PARTS)
    if unknown:
        raise ValueError(f"PageDates does not know the format characters {sorted(unknown)}.")
    return "".join(_FORMAT_PARTS[char] for char in format)


# Stand-ins for ids while reversing once a page: digits, as <int:> wants, and longer
# than any bigint, so no real id is ever one of them.
_MARK = "9876543210987654321"


def url_format(name, arity):
    """`name`'s URL as a str.format() template of its `arity` ids: "{0}", "{1}"…

    One reverse() a page instead of one a row: reverse() looks up the resolver, the
    script prefix and the language every time, and a {% url %} a row was a fifth to a
    half of rendering a list.
    """
    marks = [f"{_MARK}{n}" for n in range(arity)]
    url = reverse(name, args=marks)
    for n, mark in enumerate(marks):
        url = url.replace(mark, f"{{{n}}}")
    return url
