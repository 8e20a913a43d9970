"""The clinical rules a clinic starts with (CLINICAL.md), and editing them in the admin."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from journeys.admin import ClinicScopedAdmin, ReadOnlyAdmin
from journeys.defaults import MEDICATIONS, install_clinic_defaults
from journeys.medications import journey_medication_add
from journeys.models import (
    AuditEvent,
    Clinic,
    DrugClass,
    FastingAnchor,
    FastingKind,
    FastingRule,
    HoldPolicy,
    JourneyMedication,
    Medication,
    Role,
)
from tests.conftest import make_care_team_user


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def entry(clinic, name, use=""):
    return Medication.objects.get(clinic=clinic, name__startswith=name, use=use)


# (name starts with, use, policy, hold days, hold hours): CLINICAL.md §2.2 to §2.6.
EXPECTED = [
    ("Aspirin", "no heart or stroke history", "auto", 7, None),
    ("Aspirin", "after a stent, heart attack or stroke", "prescriber", None, None),
    ("Ibuprofen", "", "auto", 1, None),
    ("Naproxen", "", "auto", 4, None),
    ("Meloxicam", "", "auto", 4, None),
    ("Celecoxib", "", "continue", None, None),
    ("Clopidogrel", "no coronary stent", "auto", 5, None),
    ("Clopidogrel", "with a coronary stent", "prescriber", None, None),
    ("Prasugrel", "no coronary stent", "auto", 7, None),
    ("Ticagrelor", "no coronary stent", "auto", 5, None),
    ("Warfarin", "", "prescriber", 5, None),
    ("Apixaban", "", "auto", 2, None),
    ("Rivaroxaban", "", "auto", 2, None),
    ("Dabigatran", "kidney function normal (CrCl 50 or more)", "auto", 2, None),
    ("Dabigatran", "reduced kidney function (CrCl under 50)", "auto", 4, None),
    ("Enoxaparin", "preventive dose", "auto", None, 12),
    ("Enoxaparin", "treatment dose", "auto", None, 24),
    ("Canagliflozin", "", "auto", 3, None),
    ("Dapagliflozin", "", "auto", 3, None),
    ("Empagliflozin", "", "auto", 3, None),
    ("Ertugliflozin", "", "auto", 4, None),
    ("Semaglutide injection", "weekly", "auto", 7, None),
    ("Dulaglutide", "weekly", "auto", 7, None),
    ("Tirzepatide", "weekly", "auto", 7, None),
    ("Semaglutide tablets", "daily", "auto", 0, None),
    ("Metformin", "", "auto", 0, None),
    ("Herbal supplements", "any not listed separately", "auto", 14, None),
    ("Fish oil", "", "auto", 7, None),
    ("Vitamin E", "", "auto", 7, None),
    ("Garlic", "", "auto", 7, None),
    ("Ginseng", "", "auto", 7, None),
    ("Ginkgo", "", "auto", None, 36),
]


@pytest.mark.parametrize("name, use, policy, days, hours", EXPECTED)
def test_the_formulary_is_seeded_from_the_clinical_reference(
    clinic, name, use, policy, days, hours
):
    medication = entry(clinic, name, use)

    assert (medication.hold_policy, medication.hold_days, medication.hold_hours) == (
        policy,
        days,
        hours,
    )


def test_weekly_glp1_agonists_tell_the_patient_to_discuss_it(clinic):
    weekly = Medication.objects.filter(clinic=clinic, drug_class=DrugClass.GLP1, use="weekly")

    assert weekly.count() == 4
    assert all("Discuss this with your care team" in m.patient_note for m in weekly)


def test_holds_that_must_never_be_automatic_are_left_to_the_prescriber(clinic):
    for name, use in [
        ("Aspirin", "after a stent, heart attack or stroke"),
        ("Clopidogrel", "with a coronary stent"),
        ("Prasugrel", "with a coronary stent"),
        ("Ticagrelor", "with a coronary stent"),
        ("Warfarin", ""),
        ("Anticoagulant", "mechanical heart valve, recent clot or stroke"),
    ]:
        assert entry(clinic, name, use).hold_policy == HoldPolicy.PRESCRIBER, name


def test_every_entry_names_its_source_and_every_scheduled_stop_has_a_hold(clinic):
    entries = Medication.objects.filter(clinic=clinic)

    assert entries.count() == len(MEDICATIONS)
    for medication in entries:
        assert medication.source_note, medication
        medication.full_clean()  # days or hours, never both; a scheduled stop has one


def test_fasting_defaults_are_solids_8_hours_and_clear_liquids_2_hours_before_arrival(clinic):
    rules = {r.kind: r for r in FastingRule.objects.filter(clinic=clinic)}

    assert set(rules) == {FastingKind.SOLIDS, FastingKind.CLEAR_LIQUIDS}
    solids, clear = rules[FastingKind.SOLIDS], rules[FastingKind.CLEAR_LIQUIDS]
    assert (solids.hours_before, solids.anchor) == (8, FastingAnchor.ARRIVAL)
    assert (clear.hours_before, clear.anchor) == (2, FastingAnchor.ARRIVAL)
    assert "[F1]" in solids.source_note


def test_reminder_lead_times_default_to_arrive_2_hours_early_and_therapy_24_and_2(clinic):
    assert (clinic.arrival_lead_minutes, clinic.therapy_first_lead_hours) == (120, 24)
    assert clinic.therapy_second_lead_hours == 2


def test_installing_again_creates_nothing_and_keeps_the_clinics_edits(clinic):
    aspirin = entry(clinic, "Aspirin", "no heart or stroke history")
    aspirin.hold_days = 10
    aspirin.save()
    entry(clinic, "Vitamin E").delete()
    FastingRule.objects.filter(clinic=clinic).delete()
    midnight = FastingRule.objects.create(
        clinic=clinic,
        kind=FastingKind.CUSTOM,
        anchor=FastingAnchor.MIDNIGHT,
        hours_before=0,
        instruction="Nothing to eat or drink",
    )

    install_clinic_defaults(clinic)
    install_clinic_defaults(clinic)

    aspirin.refresh_from_db()
    assert aspirin.hold_days == 10
    assert Medication.objects.filter(clinic=clinic).count() == len(MEDICATIONS)
    assert list(FastingRule.objects.filter(clinic=clinic)) == [midnight]


def test_a_hold_is_in_days_or_hours_and_a_scheduled_stop_needs_one(clinic):
    both = Medication(
        clinic=clinic, name="Test", drug_class=DrugClass.OTHER, hold_days=1, hold_hours=12
    )
    neither = Medication(clinic=clinic, name="Test", drug_class=DrugClass.OTHER)

    with pytest.raises(ValidationError, match="not both"):
        both.full_clean()
    with pytest.raises(ValidationError, match="needs its hold"):
        neither.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        both.save()


def test_one_solids_rule_per_clinic(clinic):
    with pytest.raises(IntegrityError), transaction.atomic():
        FastingRule.objects.create(
            clinic=clinic, kind=FastingKind.SOLIDS, hours_before=6, instruction="No food"
        )


# The admin


def test_the_rules_are_clinic_scoped_in_the_admin():
    expected = {
        FastingRule: "clinic",
        Medication: "clinic",
        JourneyMedication: "journey__clinic",
    }
    for model, path in expected.items():
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, ClinicScopedAdmin)
        assert model_admin.clinic_path == path
    assert isinstance(admin.site._registry[JourneyMedication], ReadOnlyAdmin)


@pytest.fixture
def clinic_admin_client(client, clinic):
    person = make_care_team_user("admin@test.example", Role.CLINIC_ADMIN, clinic)
    person.is_staff = True
    person.save()
    client.force_login(person)
    return client


def test_a_clinic_admin_edits_only_their_own_clinics_formulary(
    clinic_admin_client, clinic, other_clinic
):
    theirs = entry(other_clinic, "Ibuprofen")
    ours = entry(clinic, "Ibuprofen")
    Medication.objects.filter(pk=theirs.pk).update(name="Ibuprofen (Elsewhere)")

    listing = clinic_admin_client.get(reverse("admin:journeys_medication_changelist"))
    foreign = clinic_admin_client.get(
        reverse("admin:journeys_medication_change", args=[theirs.pk]), follow=True
    )
    own = clinic_admin_client.get(reverse("admin:journeys_medication_change", args=[ours.pk]))

    assert listing.status_code == 200
    assert "Ibuprofen (Advil, Motrin)" in listing.content.decode()
    assert "Ibuprofen (Elsewhere)" not in listing.content.decode()
    assert "Ibuprofen (Elsewhere)" not in foreign.content.decode()
    assert own.status_code == 200
    assert list(own.context["adminform"].form.fields["clinic"].queryset) == [clinic]


def test_opening_a_patients_medicine_in_the_admin_is_audited(clinic_admin_client, journey, nurse):
    item = journey_medication_add(journey=journey, by=nurse, free_text="Mystery pill")

    response = clinic_admin_client.get(
        reverse("admin:journeys_journeymedication_change", args=[item.pk])
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="medication.view")
    assert (event.patient, event.detail) == (journey.patient, {"via": "admin"})


def test_a_new_clinic_gets_the_rules_from_install_clinic_defaults(db):
    clinic = Clinic.objects.create(name="Fresh Spine", phone="1")

    install_clinic_defaults(clinic)

    assert FastingRule.objects.filter(clinic=clinic).count() == 2
    assert Medication.objects.filter(clinic=clinic).count() == len(MEDICATIONS)
