import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from journeys.models import ProcedureStep, Role, Step
from tests.conftest import make_user


def test_the_ten_steps_are_fixed_and_in_order():
    assert [label for _, label in Step.choices] == [
        "Consultation",
        "Pre-operative testing",
        "Preparation",
        "Anesthesia",
        "Incision",
        "Bone removal",
        "Fusion",
        "Closure",
        "Recovery",
        "Rehabilitation",
    ]


def test_an_unknown_step_is_refused_with_a_clear_message(fusion):
    step = ProcedureStep(procedure=fusion, step="spinal_tap", title="Tap", explanation="?")

    with pytest.raises(ValidationError) as refusal:
        step.full_clean()

    assert refusal.value.message_dict["step"] == ["Value 'spinal_tap' is not a valid choice."]
    assert not ProcedureStep.objects.filter(step="spinal_tap").exists()


def test_each_default_procedure_has_its_steps_tests_and_therapy_plan(clinic):
    procedures = {p.name: p for p in clinic.procedures.prefetch_related("steps", "required_tests")}

    assert set(procedures) >= {
        "Lumbar fusion (open)",
        "Lumbar fusion (minimally invasive)",
        "Cervical fusion (ACDF)",
        "Lumbar microdiscectomy",
        "Lumbar laminectomy",
    }
    for name in ("Lumbar microdiscectomy", "Lumbar laminectomy"):
        assert Step.FUSION not in {s.step for s in procedures[name].steps.all()}
    fusion = procedures["Lumbar fusion (open)"]
    assert len(fusion.steps.all()) == 10
    assert "Type and screen" in {t.name for t in fusion.required_tests.all()}
    assert fusion.therapy_sessions_per_week > 0 and fusion.therapy_weeks > 0


def test_every_default_step_explains_itself_in_plain_words(clinic):
    for step in ProcedureStep.objects.filter(procedure__clinic=clinic):
        words = step.explanation.split()
        assert 5 <= len(words) <= 30, step.title
        # Short sentences: no sentence longer than 20 words.
        for sentence in step.explanation.split("."):
            assert len(sentence.split()) <= 20, step.explanation


def test_a_clinic_admin_edits_a_procedure_template_in_the_admin(client, clinic, fusion):
    admin = make_user("admin@test.example", Role.CLINIC_ADMIN, clinic)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)

    page = client.get(reverse("admin:journeys_proceduretemplate_change", args=[fusion.pk]))
    step = fusion.steps.get(step=Step.CONSULTATION)
    items = client.get(reverse("admin:journeys_procedurestep_change", args=[step.pk]))

    assert page.status_code == 200
    assert "Lumbar fusion (open)" in page.content.decode()
    assert items.status_code == 200
    assert "Bring a list of every medicine and supplement you take" in items.content.decode()
