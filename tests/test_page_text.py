"""journeys/page_text.py: the words, dates and links a page computes once, held to what
Django's own template tags print."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from journeys.models import StageStatus
from journeys.page_text import PageDates, choice_labels, url_format

# Every format the care team's page and the worklist print a date in.
FORMATS = ["D j M Y H:i", "D j M H:i", "j M Y H:i", "j M", "D j M Y, H:i", "Y-m-d"]
DATE_FILTER = Template("{{ value|date:format }}")


def instants():
    """A year of instants 7 hours apart (every hour of the day, every weekday), and each
    hour around the clinic's two daylight-saving changes of 2026."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    yearly = [start + timedelta(hours=7 * n) for n in range(1252)]
    spring = [datetime(2026, 3, 8, 8, tzinfo=UTC) + timedelta(minutes=30 * n) for n in range(8)]
    autumn = [datetime(2026, 11, 1, 7, tzinfo=UTC) + timedelta(minutes=30 * n) for n in range(8)]
    return yearly + spring + autumn


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/Madrid"])
def test_page_dates_print_what_the_date_filter_prints(language, zone):
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        dates = PageDates()
        for value in instants():
            for format in FORMATS:
                context = Context({"value": value, "format": format})
                assert dates(value, format) == DATE_FILTER.render(context)
            day = value.date()
            assert dates(day, "j M") == DATE_FILTER.render(Context({"value": day, "format": "j M"}))


def test_page_dates_print_a_date_without_a_time_as_the_filter_does():
    with translation.override("es"):
        dates = PageDates()
        for value in (date(1961, 4, 2), date(2027, 12, 31)):
            for format in ("Y-m-d", "D j M", "j M"):
                context = Context({"value": value, "format": format})
                assert dates(value, format) == DATE_FILTER.render(context)


def test_page_dates_print_nothing_for_no_date():
    assert PageDates()(None, "D j M Y H:i") == ""


def test_page_dates_refuse_a_format_character_they_do_not_know():
    with pytest.raises(ValueError, match="F"):
        PageDates()(date(2026, 3, 10), "j F")


def test_a_value_outside_the_choices_is_labelled_as_itself():
    with translation.override("es"):
        labels = choice_labels(StageStatus.choices)

    assert labels[StageStatus.DONE] == "Completado"
    assert labels["archived"] == "archived"


def test_a_url_format_gives_what_reverse_gives_for_every_id():
    stage_action = url_format("journeys:stage-action", 2)

    for journey_id, stage_id in [(1, 2), (42, 7), (10**12, 98765)]:
        assert stage_action.format(journey_id, stage_id) == reverse(
            "journeys:stage-action", args=[journey_id, stage_id]
        )
