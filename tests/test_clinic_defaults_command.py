"""manage.py install_clinic_defaults: the starting catalogue for a real clinic."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from journeys.defaults import PROCEDURES, TESTS
from journeys.models import (
    ChecklistItemTemplate,
    Clinic,
    PreopTestType,
    ProcedureStep,
    ProcedureTemplate,
)


def install(*args):
    out = StringIO()
    call_command("install_clinic_defaults", *args, stdout=out)
    return out.getvalue()


def catalogue_counts():
    return (
        Clinic.objects.count(),
        PreopTestType.objects.count(),
        ProcedureTemplate.objects.count(),
        ProcedureStep.objects.count(),
        ChecklistItemTemplate.objects.count(),
    )


@pytest.fixture
def bare_clinic(db):
    return Clinic.objects.create(
        name="Summit Spine", time_zone="America/Denver", phone="(555) 010-4000"
    )


def test_installs_the_test_catalogue_and_five_procedures(bare_clinic):
    out = install("--clinic", "Summit Spine")

    assert set(PreopTestType.objects.filter(clinic=bare_clinic).values_list("name", flat=True)) == (
        set(TESTS)
    )
    procedures = ProcedureTemplate.objects.filter(clinic=bare_clinic)
    assert procedures.count() == 5
    assert set(procedures.values_list("name", flat=True)) == set(PROCEDURES)
    fusion = procedures.get(name="Lumbar fusion (open)")
    assert fusion.steps.count() == 10
    assert fusion.required_tests.exists()
    assert procedures.get(name="Lumbar microdiscectomy").steps.filter(step="fusion").count() == 0
    assert f"Pre-op tests: {len(TESTS)} created, 0 already there" in out
    assert "Procedure templates: 5 created, 0 already there" in out


def test_the_clinic_can_be_named_by_id(bare_clinic):
    install("--clinic", str(bare_clinic.pk))

    assert ProcedureTemplate.objects.filter(clinic=bare_clinic).count() == 5


def test_running_twice_creates_nothing_new(bare_clinic):
    install("--clinic", "Summit Spine")
    counts = catalogue_counts()

    out = install("--clinic", "summit spine")

    assert catalogue_counts() == counts
    assert f"Pre-op tests: 0 created, {len(TESTS)} already there" in out
    assert "Procedure templates: 0 created, 5 already there" in out


def test_an_admins_edits_survive_a_second_run(bare_clinic):
    install("--clinic", "Summit Spine")
    step = ProcedureStep.objects.get(
        procedure__clinic=bare_clinic, procedure__name="Lumbar laminectomy", step="incision"
    )
    step.title = "Opening"
    step.explanation = "Dr. Reyes explains this at your visit."
    step.save()
    item = ChecklistItemTemplate.objects.filter(procedure_step__procedure__clinic=bare_clinic)[0]
    item.text = "Our own wording"
    item.save()
    test = PreopTestType.objects.get(clinic=bare_clinic, name="Type and screen")
    test.validity_days = 3
    test.save()
    ProcedureStep.objects.get(
        procedure__clinic=bare_clinic, procedure__name="Lumbar laminectomy", step="closure"
    ).delete()

    install("--clinic", "Summit Spine")

    step.refresh_from_db()
    item.refresh_from_db()
    test.refresh_from_db()
    assert (step.title, step.explanation) == ("Opening", "Dr. Reyes explains this at your visit.")
    assert item.text == "Our own wording"
    assert test.validity_days == 3
    laminectomy = ProcedureTemplate.objects.get(clinic=bare_clinic, name="Lumbar laminectomy")
    assert not laminectomy.steps.filter(step="closure").exists()


def test_other_clinics_are_untouched(bare_clinic, other_clinic):
    before = PreopTestType.objects.filter(clinic=other_clinic).count()

    install("--clinic", "Summit Spine")

    assert PreopTestType.objects.filter(clinic=other_clinic).count() == before


def test_create_makes_the_clinic_then_installs(db):
    out = install(
        "--clinic",
        "Front Range Spine",
        "--create",
        "--time-zone",
        "America/Denver",
        "--phone",
        "(555) 010-5000",
    )

    clinic = Clinic.objects.get(name="Front Range Spine")
    assert (clinic.time_zone, clinic.phone) == ("America/Denver", "(555) 010-5000")
    assert ProcedureTemplate.objects.filter(clinic=clinic).count() == 5
    assert "created" in out


def test_create_on_an_existing_clinic_changes_nothing_about_it(bare_clinic):
    install("--clinic", "Summit Spine", "--create", "--time-zone", "Europe/Paris", "--phone", "1")

    bare_clinic.refresh_from_db()
    assert (bare_clinic.time_zone, bare_clinic.phone) == ("America/Denver", "(555) 010-4000")
    assert Clinic.objects.count() == 1


def test_an_unknown_clinic_is_refused(bare_clinic):
    with pytest.raises(
        CommandError, match=r"No clinic named or numbered “Nowhere Spine”.*--create"
    ):
        install("--clinic", "Nowhere Spine")

    assert Clinic.objects.count() == 1
    assert not PreopTestType.objects.exists()


def test_an_unknown_id_is_refused_even_with_create(db):
    with pytest.raises(CommandError, match="No clinic has id 999"):
        install("--clinic", "999", "--create", "--time-zone", "UTC", "--phone", "1")

    assert not Clinic.objects.exists()


def test_a_bad_time_zone_is_refused_and_nothing_saved(db):
    with pytest.raises(CommandError, match=r"not created.*Mars/Olympus is not a known time zone"):
        install(
            "--clinic",
            "Red Planet Spine",
            "--create",
            "--time-zone",
            "Mars/Olympus",
            "--phone",
            "1",
        )

    assert catalogue_counts() == (0, 0, 0, 0, 0)


def test_creating_needs_a_time_zone_and_a_phone(db):
    with pytest.raises(CommandError, match="needs --time-zone and --phone"):
        install("--clinic", "Half Spine", "--create")

    assert not Clinic.objects.exists()


def test_two_clinics_with_the_same_name_need_the_id(bare_clinic):
    Clinic.objects.create(name="Summit Spine", time_zone="America/Denver", phone="2")

    with pytest.raises(CommandError, match="Several clinics are named"):
        install("--clinic", "Summit Spine")

    assert not PreopTestType.objects.exists()
