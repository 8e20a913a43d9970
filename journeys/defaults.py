"""A new clinic's starting catalogue, drawn from ../shared/CLINICAL.md.

These are defaults for the clinic to edit in the admin, not rules: every text and
number below is the clinic's to change. `install_clinic_defaults` is idempotent.

Every text a patient reads is marked with `_`, which is gettext_noop: the rows are
installed in English, and the catalogue's Spanish (or any language's) is looked up only
when a patient reads them (journeys/clinic_text.py), so an edited text is shown as the
clinic wrote it.
"""

from typing import NamedTuple

from django.db import transaction
from django.utils.translation import gettext_noop as _

from journeys.models import (
    Anchor,
    ChecklistItemTemplate,
    DrugClass,
    FastingAnchor,
    FastingKind,
    FastingRule,
    HoldPolicy,
    Medication,
    Owner,
    PreopTestType,
    ProcedureStep,
    ProcedureTemplate,
    Step,
)

# name: (prep instructions, validity days, needs fasting)
TESTS = {
    _("History and physical"): (
        _("Bring a list of every medicine and supplement you take."),
        30,
        False,
    ),
    _("Blood count (CBC)"): (_("No preparation needed."), 30, False),
    _("Metabolic panel (BMP)"): (
        _("No preparation needed unless your care team says so."),
        30,
        False,
    ),
    _("Type and screen"): (_("No preparation needed."), 14, False),
    _("HbA1c"): (_("No preparation needed."), 90, False),
    _("ECG"): (_("Wear a top that is easy to open at the front."), 180, False),
    _("MRSA nasal swab"): (_("No preparation needed."), 42, False),
    _("DEXA bone density"): (_("Do not take calcium supplements for 24 hours before."), 730, False),
    _("Nicotine (cotinine) test"): (_("No preparation needed."), 30, False),
}

STEP_TEXT = {
    Step.CONSULTATION: (
        _("Consultation"),
        _("You meet your surgeon. Together you decide on the operation and what to expect."),
    ),
    Step.PREOP_TESTING: (
        _("Tests before surgery"),
        _("A few checks, such as blood tests, make sure surgery is safe for you."),
    ),
    Step.PREPARATION: (
        _("Getting ready"),
        _(
            "In the days before surgery you stop some medicines, stop eating at the right time "
            "and arrange your trip home."
        ),
    ),
    Step.ANESTHESIA: (
        _("Anesthesia"),
        _("The anesthesia team puts you into a deep sleep so you feel nothing."),
    ),
    Step.INCISION: (_("Incision"), _("The surgeon makes a cut to reach your spine.")),
    Step.BONE_REMOVAL: (
        _("Removing bone or disc"),
        _("The surgeon removes the bone or disc that presses on your nerves."),
    ),
    Step.FUSION: (
        _("Fusion"),
        _("The surgeon joins two or more bones so they heal into one solid piece."),
    ),
    Step.CLOSURE: (_("Closing the wound"), _("The surgeon closes the cut and puts on a dressing.")),
    Step.RECOVERY: (
        _("Recovery"),
        _("You wake up, the team watches you closely, and you start walking with help."),
    ),
    Step.REHABILITATION: (
        _("Rehabilitation"),
        _("Exercises and physical therapy help you move well and get strong again."),
    ),
}

P, S, C = Owner.PATIENT, Owner.STAFF, Owner.COORDINATOR
SURG, START = Anchor.SURGERY, Anchor.STAGE_START

# (step, text, owner, anchor, offset days, required)
COMMON_ITEMS = [
    (
        Step.CONSULTATION,
        _("Bring a list of every medicine and supplement you take"),
        P,
        START,
        0,
        True,
    ),
    (
        Step.CONSULTATION,
        _("Record the patient's medications and smoking status"),
        S,
        START,
        0,
        True,
    ),
    (Step.PREOP_TESTING, _("Schedule the required pre-operative tests"), C, START, 2, True),
    (Step.PREOP_TESTING, _("Go to each of your pre-operative tests"), P, SURG, -14, True),
    (Step.PREPARATION, _("Stop herbal supplements and fish oil"), P, SURG, -14, True),
    (
        Step.PREPARATION,
        _("Arrange a ride home and someone to stay with you the first night"),
        P,
        SURG,
        -7,
        True,
    ),
    (
        Step.PREPARATION,
        _("Get written instructions from your prescriber for any blood thinner"),
        C,
        SURG,
        -10,
        True,
    ),
    (Step.PREPARATION, _("Shower with the antiseptic wash the night before"), P, SURG, -1, True),
    (
        Step.PREPARATION,
        _("Stop eating solid food the evening before, as your care team told you"),
        P,
        SURG,
        -1,
        True,
    ),
    (Step.PREPARATION, _("Confirm arrival time with the patient"), C, SURG, -2, True),
    (Step.RECOVERY, _("Walk with help on the day of surgery or the day after"), P, START, 1, True),
    (Step.RECOVERY, _("Learn the warning signs that mean you should call"), P, START, 0, True),
    (Step.REHABILITATION, _("Book your physical therapy sessions"), P, START, 3, True),
    (Step.REHABILITATION, _("Walk a little further every day"), P, START, 7, False),
]
FUSION_ITEMS = [
    (
        Step.PREPARATION,
        _("Stop smoking and all nicotine, including vaping and patches"),
        P,
        SURG,
        -42,
        True,
    ),
    (
        Step.REHABILITATION,
        _("Avoid bending, lifting more than 10 lb and twisting until cleared"),
        P,
        START,
        0,
        True,
    ),
]
FUSION_TESTS = [
    "History and physical",
    "Blood count (CBC)",
    "Metabolic panel (BMP)",
    "Type and screen",
    "MRSA nasal swab",
]
DECOMPRESSION_TESTS = ["History and physical", "Blood count (CBC)"]

ALL_STEPS = list(Step)
NO_FUSION = [s for s in Step if s != Step.FUSION]

# name: (steps, extra items, required tests, therapy per week, weeks, start week)
PROCEDURES = {
    _("Lumbar fusion (open)"): (ALL_STEPS, FUSION_ITEMS, FUSION_TESTS, 2, 8, 6),
    _("Lumbar fusion (minimally invasive)"): (ALL_STEPS, FUSION_ITEMS, FUSION_TESTS, 2, 6, 4),
    _("Cervical fusion (ACDF)"): (ALL_STEPS, FUSION_ITEMS, FUSION_TESTS, 2, 6, 4),
    _("Lumbar microdiscectomy"): (NO_FUSION, [], DECOMPRESSION_TESTS, 2, 6, 2),
    _("Lumbar laminectomy"): (NO_FUSION, [], DECOMPRESSION_TESTS, 2, 6, 2),
}


# Fasting cut-offs (CLINICAL.md §1), counted from the arrival time, which is stricter
# than the anaesthesia start the ASA numbers count from. A clinic that says "nothing
# after midnight" replaces both with one rule anchored at midnight.
# (kind, anchor, hours before, instruction, details, source)
FASTING_RULES = [
    (
        FastingKind.SOLIDS,
        FastingAnchor.ARRIVAL,
        8,
        _("No food, milk or chewing gum"),
        _("You may still drink clear liquids until your clear-liquid time."),
        "ASA 2017/2023: 8 h or more for fatty food or meat, 6 h for a light meal or milk; "
        "8 h for all solids is the common simplification. [F1][F2][F4] Confidence H.",
    ),
    (
        FastingKind.CLEAR_LIQUIDS,
        FastingAnchor.ARRIVAL,
        2,
        _("Nothing to drink, not even water,"),
        _(
            "Until then, clear liquids are fine: water, clear juice without pulp, "
            "black coffee or tea without milk."
        ),
        "ASA: clear liquids (incl. carbohydrate drinks) up to 2 h before anaesthesia. "
        "[F1][F3][F4][F5] Confidence H. ⚠ Not for gastroparesis or GLP-1 users at risk.",
    ),
]

AP, AC, NSAID = DrugClass.ANTIPLATELET, DrugClass.ANTICOAGULANT, DrugClass.NSAID
SGLT2, GLP1, SUPP = DrugClass.SGLT2, DrugClass.GLP1, DrugClass.SUPPLEMENT
RHEUM = DrugClass.RHEUMATOLOGY
ASK, KEEP = HoldPolicy.PRESCRIBER, HoldPolicy.CONTINUE

SURGEON = _("Restart only when your surgeon tells you to.")
ASK_NSAID = _("Ask your surgeon before taking any anti-inflammatory after surgery.")
EATING = _("Restart when you are eating and drinking normally, as your care team says.")
DISCUSS = _("Discuss this with your care team before you stop it.")
STENT = "⚠ Never automatic with a coronary stent: use the “with a coronary stent” entry."


class Med(NamedTuple):
    """One formulary default. `days` or `hours` is the hold; `policy` ASK plans no stop."""

    name: str
    use: str
    drug_class: str
    source: str
    days: int | None = None
    hours: int | None = None
    policy: str = HoldPolicy.AUTO
    heads_up: int = 3
    restart: str = ""
    note: str = ""


# The formulary (CLINICAL.md §2.2 to §2.6), with each number's source and confidence.
# Prescriber-decides entries plan no stop reminder: the patient is told to ask their
# prescriber, and the coordinator's checklist has "Get written instructions from your
# prescriber for any blood thinner".
# fmt: off
MEDICATIONS = [
    # Antiplatelets (§2.2)
    Med(_("Aspirin"), "no heart or stroke history", AP, days=7, restart=SURGEON, source=(
        "ACCP 2012: 7 d for primary prevention; ASRA pain (high risk) 6 d; spine series: "
        "no excess bleeding when stopped 7-10 d. The literature conflicts (§7.1). "
        "[M8][M10][M11][M12] Confidence M.")),
    Med(_("Aspirin"), "after a stent, heart attack or stroke", AP, policy=ASK, heads_up=0, source=(
        "⚠ Prescriber or cardiology decides. ACC/AHA 2024: continue after PCI if possible; "
        "stopping risks stent thrombosis. [M6][M13][M12] Confidence M.")),
    Med(_("Clopidogrel (Plavix)"), "no coronary stent", AP, days=5, restart=SURGEON, source=(
        "ACCP 2022: 5 d; reviews 5-7 d; ASRA pain 7 d (unverified). " + STENT
        + " [M6][M18] Confidence M.")),
    Med(_("Clopidogrel (Plavix)"), "with a coronary stent", AP, policy=ASK, heads_up=0, source=(
        "⚠ Cardiology decides; elective surgery waits 3-6 months after a drug-eluting "
        "stent. [M6][M13] Confidence M.")),
    Med(_("Prasugrel (Effient)"), "no coronary stent", AP, days=7, restart=SURGEON, source=(
        "ACCP 2022: 7 d; ASRA 7-10 d. " + STENT + " [M6][M18] Confidence M.")),
    Med(_("Prasugrel (Effient)"), "with a coronary stent", AP, policy=ASK, heads_up=0, source=(
        "⚠ Cardiology decides. [M6][M13] Confidence M.")),
    Med(_("Ticagrelor (Brilinta)"), "no coronary stent", AP, days=5, restart=SURGEON, source=(
        "ACCP 2022: 3-5 d; AHA (elective CABG) 5 d; ASRA 5-7 d (unverified). " + STENT
        + " [M6][M18][M19] Confidence M.")),
    Med(_("Ticagrelor (Brilinta)"), "with a coronary stent", AP, policy=ASK, heads_up=0, source=(
        "⚠ Cardiology decides. [M6][M13] Confidence M.")),
    Med(_("Cilostazol"), "", AP, days=2, restart=SURGEON, source=(
        "ASRA pain (high risk): 2 d. [M8] Confidence H.")),
    Med(_("Dipyridamole"), "", AP, days=2, restart=SURGEON, source=(
        "ASRA pain (high risk): 2 d. [M8] Confidence H.")),
    # Anticoagulants (§2.2)
    Med(_("Warfarin (Coumadin)"), "", AC, days=5, policy=ASK, heads_up=0, source=(
        "⚠ Typically last dose 5 d before, with a normal INR the day before; bridging only "
        "for high clot risk (mechanical mitral valve, recent stroke or VTE), a prescriber "
        "decision. [M6][M8] Confidence H.")),
    Med(_("Anticoagulant (blood thinner)"), "mechanical heart valve, recent clot or stroke", AC,
        policy=ASK, heads_up=0, source=(
        "⚠ Never automatic: the prescriber decides the hold and any bridging. "
        "[M6] Confidence H.")),
    Med(_("Apixaban (Eliquis)"), "", AC, days=2, restart=SURGEON, source=(
        "ACCP 2022 / PAUSE, high bleeding risk: 2 d (last dose on day -3); ASRA neuraxial "
        "72 h for treatment doses. Poor kidney function lengthens the hold. No bridging. "
        "[M6][M7][M8][M9] Confidence H.")),
    Med(_("Rivaroxaban (Xarelto)"), "", AC, days=2, restart=SURGEON, source=(
        "ACCP 2022 / PAUSE, high bleeding risk: 2 d; ASRA neuraxial 72 h for treatment "
        "doses. [M6][M7][M8][M9] Confidence H.")),
    Med(_("Edoxaban (Savaysa)"), "", AC, days=2, restart=SURGEON, source=(
        "As apixaban and rivaroxaban (ACCP 2022). [M6][M7] Confidence H.")),
    Med(_("Dabigatran (Pradaxa)"), "kidney function normal (CrCl 50 or more)", AC, days=2,
        restart=SURGEON, source=(
        "PAUSE, high bleeding risk: 2 d if CrCl >= 50. ⚠ Needs a recent creatinine. "
        "[M7][M20] Confidence M.")),
    Med(_("Dabigatran (Pradaxa)"), "reduced kidney function (CrCl under 50)", AC, days=4,
        restart=SURGEON, source=(
        "PAUSE, high bleeding risk: 4 d if CrCl < 50; other tables 96 h (CrCl 30-50). "
        "[M7][M20] Confidence M.")),
    Med(_("Enoxaparin (Lovenox)"), "preventive dose", AC, hours=12, heads_up=1, restart=SURGEON,
        source="ASRA neuraxial and pain: last preventive dose 12 h or more before. "
        "[M8][M9] Confidence H."),
    Med(_("Enoxaparin (Lovenox)"), "treatment dose", AC, hours=24, heads_up=1, restart=SURGEON,
        source="ASRA neuraxial and pain: last treatment dose 24 h or more before. "
        "[M8][M9] Confidence H."),
    # NSAIDs: five half-lives, ASRA pain guideline for high-risk procedures (§2.2)
    Med(_("Ibuprofen (Advil, Motrin)"), "", NSAID, days=1, heads_up=2, restart=ASK_NSAID, source=(
        "ASRA pain: 1 d. Many practices say 7 d for every NSAID. [M8] Confidence H.")),
    Med(_("Diclofenac (Voltaren tablets)"), "", NSAID, days=1, heads_up=2, restart=ASK_NSAID,
        source="ASRA pain: 1 d. [M8] Confidence H."),
    Med(_("Ketorolac (Toradol)"), "", NSAID, days=1, heads_up=2, restart=ASK_NSAID, source=(
        "ASRA pain: 1 d. High-dose use after fusion is linked to nonunion. [M8][M17] "
        "Confidence H.")),
    Med(_("Etodolac"), "", NSAID, days=2, restart=ASK_NSAID, source="ASRA pain: 2 d. [M8] H."),
    Med(_("Indomethacin"), "", NSAID, days=2, restart=ASK_NSAID, source="ASRA pain: 2 d. [M8] H."),
    Med(_("Naproxen (Aleve)"), "", NSAID, days=4, restart=ASK_NSAID,
        source="ASRA pain: 4 d. [M8] H."),
    Med(_("Meloxicam (Mobic)"), "", NSAID, days=4, restart=ASK_NSAID,
        source="ASRA pain: 4 d. [M8] H."),
    Med(_("Nabumetone"), "", NSAID, days=6, restart=ASK_NSAID, source="ASRA pain: 6 d. [M8] H."),
    Med(_("Oxaprozin (Daypro)"), "", NSAID, days=10, restart=ASK_NSAID,
        source="ASRA pain: 10 d. [M8] H."),
    Med(_("Piroxicam (Feldene)"), "", NSAID, days=10, restart=ASK_NSAID,
        source="ASRA pain: 10 d. [M8] H."),
    Med(_("Celecoxib (Celebrex)"), "", NSAID, policy=KEEP, heads_up=0, restart=ASK_NSAID, source=(
        "⚠ Little effect on platelets and ASRA lists no hold, but many surgeons still hold "
        "it: the clinic chooses. [M8][M14] Confidence M.")),
    # SGLT2 inhibitors: FDA label 2020 (§2.3); combination products follow their SGLT2 part
    Med(_("Canagliflozin (Invokana)"), "", SGLT2, days=3, restart=EATING, source=(
        "FDA label: at least 3 d (ketoacidosis). [M21][M4][M5] Confidence H.")),
    Med(_("Dapagliflozin (Farxiga)"), "", SGLT2, days=3, restart=EATING, source=(
        "FDA label: at least 3 d. [M21] Confidence H.")),
    Med(_("Empagliflozin (Jardiance)"), "", SGLT2, days=3, restart=EATING, source=(
        "FDA label: at least 3 d. [M21] Confidence H.")),
    Med(_("Ertugliflozin (Steglatro)"), "", SGLT2, days=4, restart=EATING, source=(
        "FDA label: at least 4 d. [M21] Confidence H.")),
    # GLP-1 agonists (§2.4): ASA 2023 hold; ⚠ the 2024 multisociety guidance lets most
    # patients continue with 24 h of clear liquids. The clinic picks its template.
    Med(_("Semaglutide injection (Ozempic, Wegovy)"), "weekly", GLP1, days=7, restart=EATING,
        note=DISCUSS, source=(
        "⚠ ASA 2023: hold a weekly agent for the week before; 2024 multisociety guidance: "
        "most continue. [M22][M25][M26] Confidence H.")),
    Med(_("Dulaglutide (Trulicity)"), "weekly", GLP1, days=7, restart=EATING, note=DISCUSS,
        source="⚠ As weekly semaglutide. [M22][M25] Confidence H."),
    Med(_("Tirzepatide (Mounjaro, Zepbound)"), "weekly", GLP1, days=7, restart=EATING,
        note=DISCUSS, source="⚠ As weekly semaglutide (GIP/GLP-1). [M22][M25] Confidence H."),
    Med(_("Exenatide extended-release (Bydureon)"), "weekly", GLP1, days=7, restart=EATING,
        note=DISCUSS, source="⚠ As weekly semaglutide. [M22][M25] Confidence H."),
    Med(_("Semaglutide tablets (Rybelsus)"), "daily", GLP1, days=0, heads_up=0, restart=EATING,
        note=DISCUSS, source="ASA 2023: hold a daily agent on the day of surgery. [M22] H."),
    Med(_("Liraglutide (Victoza, Saxenda)"), "daily", GLP1, days=0, heads_up=0, restart=EATING,
        note=DISCUSS, source="ASA 2023: hold on the day of surgery. [M22] Confidence H."),
    Med(_("Exenatide (Byetta)"), "twice daily", GLP1, days=0, heads_up=0, restart=EATING,
        note=DISCUSS, source="ASA 2023: hold on the day of surgery. [M22] Confidence H."),
    # Other diabetes medicines (§2.5)
    Med(_("Metformin"), "", DrugClass.DIABETES, days=0, heads_up=0, restart=EATING, source=(
        "ADA Standards of Care: hold on the day of surgery. [M5] Confidence H.")),
    # Supplements (§2.6)
    Med(_("Herbal supplements"), "any not listed separately", SUPP, days=14, restart=SURGEON,
        source="ASA advice to patients: stop 2 weeks before (some hospitals 2-3). "
        "[M29][M30][M31] Confidence M."),
    Med(_("Garlic supplements"), "", SUPP, days=7, restart=SURGEON, source=(
        "At least 7 d (bleeding). [M30] Confidence M.")),
    Med(_("Ginseng"), "", SUPP, days=7, restart=SURGEON, source=(
        "At least 7 d (bleeding, low blood sugar). [M30] Confidence M.")),
    Med(_("Ginkgo"), "", SUPP, hours=36, heads_up=2, restart=SURGEON, source=(
        "At least 36 h (Ang-Lee 2001); secondary sources say 3 or 7 d. [M30] Confidence M.")),
    Med(_("St John's wort"), "", SUPP, days=5, restart=SURGEON, source=(
        "At least 5 d (drug interactions). [M30] Confidence M.")),
    Med(_("Fish oil (omega-3)"), "", SUPP, days=7, restart=SURGEON, source=(
        "⚠ No society interval: hospital handouts say 7-14 d. [M32][M9] Confidence L.")),
    Med(_("Vitamin E"), "", SUPP, days=7, restart=SURGEON, source=(
        "⚠ No society interval: handouts say 7-14 d, often above 400 IU. [M32] Confidence L.")),
    # Hormones and rheumatology (§2.6)
    Med(_("Estrogen (combined pill or HRT)"), "", DrugClass.HORMONE, policy=ASK, heads_up=0,
        source="⚠ NICE: consider stopping 4 weeks before; US practice varies. The clinic "
        "chooses. [M33][M34] Confidence L."),
    Med(_("Methotrexate"), "", RHEUM, policy=KEEP, heads_up=0, source=(
        "ACR/AAHKS 2022 (hip and knee, extrapolated to spine): continue. [M35] Confidence M.")),
    Med(_("Biologic (TNF inhibitor and others)"), "", RHEUM, policy=ASK, heads_up=0, source=(
        "ACR/AAHKS 2022: withhold and time surgery to the end of the dosing cycle; the "
        "prescriber plans it. [M35] Confidence M.")),
    Med(_("JAK inhibitor (tofacitinib and others)"), "", RHEUM, days=3,
        restart=_("Restart when your surgeon says the wound is healing well."), source=(
        "ACR/AAHKS 2022: withhold at least 3 d. [M35] Confidence M.")),
]
# fmt: on


def install_clinical_rules(clinic):
    """The formulary and fasting rules. A formulary entry the clinic has (by name and
    use) is left as the clinic edited it; fasting rules are seeded only into a clinic
    that has none, so one that replaced them with "nothing after midnight" keeps that."""
    if not FastingRule.objects.filter(clinic=clinic).exists():
        FastingRule.objects.bulk_create(
            FastingRule(
                clinic=clinic,
                kind=kind,
                anchor=anchor,
                hours_before=hours,
                instruction=instruction,
                details=details,
                source_note=source,
            )
            for kind, anchor, hours, instruction, details, source in FASTING_RULES
        )
    have = set(Medication.objects.filter(clinic=clinic).values_list("name", "use"))
    Medication.objects.bulk_create(
        Medication(
            clinic=clinic,
            name=m.name,
            use=m.use,
            drug_class=m.drug_class,
            hold_policy=m.policy,
            hold_days=m.days,
            hold_hours=m.hours,
            heads_up_days=m.heads_up,
            restart_text=m.restart,
            patient_note=m.note,
            source_note=m.source,
        )
        for m in MEDICATIONS
        if (m.name, m.use) not in have
    )


@transaction.atomic
def install_clinic_defaults(clinic):
    install_clinical_rules(clinic)
    tests = {}
    for name, (prep, validity, fasting) in TESTS.items():
        tests[name], _ = PreopTestType.objects.get_or_create(
            clinic=clinic,
            name=name,
            defaults={
                "prep_instructions": prep,
                "validity_days": validity,
                "needs_fasting": fasting,
            },
        )
    for name, (steps, extra, required, per_week, weeks, start) in PROCEDURES.items():
        procedure, created = ProcedureTemplate.objects.get_or_create(
            clinic=clinic,
            name=name,
            defaults={
                "therapy_sessions_per_week": per_week,
                "therapy_weeks": weeks,
                "therapy_starts_week": start,
            },
        )
        if not created:
            continue
        procedure.required_tests.set(tests[t] for t in required)
        by_step = {}
        for step in steps:
            title, explanation = STEP_TEXT[step]
            by_step[step] = ProcedureStep.objects.create(
                procedure=procedure, step=step, title=title, explanation=explanation
            )
        ChecklistItemTemplate.objects.bulk_create(
            ChecklistItemTemplate(
                procedure_step=by_step[step],
                text=text,
                owner=owner,
                anchor=anchor,
                offset_days=offset,
                required=req,
            )
            for step, text, owner, anchor, offset, req in COMMON_ITEMS + extra
            if step in by_step
        )
    return tests
