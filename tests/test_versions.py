"""pip can fall back to an old release silently; this catches it."""

from importlib.metadata import version
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def pinned():
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, wanted = line.split("==")
            pins[name.split("[")[0]] = wanted
    return pins


@pytest.mark.parametrize("name,wanted", sorted(pinned().items()))
def test_installed_version_matches_the_pin(name, wanted):
    assert version(name) == wanted


def test_the_stack_is_the_one_the_design_card_fixes():
    pins = pinned()
    assert pins["Django"].startswith("6.1.")
    for name in ("django-allauth", "celery", "redis", "psycopg2-binary", "kombu"):
        assert name in pins
    assert "django-celery-beat" not in pins
    assert "[redis]" in REQUIREMENTS.read_text().split("celery")[1].splitlines()[0]
