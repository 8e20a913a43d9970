"""A new clinic's starting catalogue, drawn from ../shared/CLINICAL.md.

These are defaults for the clinic to edit in the admin, not rules: every text and
number below is the clinic's to change. `install_clinic_defaults` is idempotent.
"""

from typing import NamedTuple

from django.db import transaction

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
    "History and physical": ("Bring a list of every medicine and supplement you take.", 30, False),
    "Blood count (CBC)": ("No preparation needed.", 30, False),
    "Metabolic panel (BMP)": ("No preparation needed unless your care team says so.", 30, False),
    "Type and screen": ("No preparation needed.", 14, False),
    "HbA1c": ("No preparation needed.", 90, False),
    "ECG": ("Wear a top that is easy to open at the front.", 180, False),
    "MRSA nasal swab": ("No preparation needed.", 42, False),
    "DEXA bone density": ("Do not take calcium supplements for 24 hours before.", 730, False),
    "Nicotine (cotinine) test": ("No preparation needed.", 30, False),
}

STEP_TEXT = {
    Step.CONSULTATION: (
        "Consultation",
        "You meet your surgeon. Together you decide on the operation and what to expect.",
    ),
    Step.PREOP_TESTING: (
        "Tests before surgery",
        "A few checks, such as blood tests, make sure surgery is safe for you.",
    ),
    Step.PREPARATION: (
        "Getting ready",
        "In the days before surgery you stop some medicines, stop eating at the right time "
        "and arrange your trip home.",
    ),
    Step.ANESTHESIA: (
        "Anesthesia",
        "The anesthesia team puts you into a deep sleep so you feel nothing.",
    ),
    Step.INCISION: ("Incision", "The surgeon makes a cut to reach your spine."),
    Step.BONE_REMOVAL: (
        "Removing bone or disc",
        "The surgeon removes the bone or disc that presses on your nerves.",
    ),
    Step.FUSION: (
        "Fusion",
        "The surgeon joins two or more bones so they heal into one solid piece.",
    ),
    Step.CLOSURE: ("Closing the wound", "The surgeon closes the cut and puts on a dressing."),
    Step.RECOVERY: (
        "Recovery",
        "You wake up, the team watches you closely, and you start walking with help.",
    ),
    Step.REHABILITATION: (
        "Rehabilitation",
        "Exercises and physical therapy help you move well and get strong again.",
    ),
}

P, S, C = Owner.PATIENT, Owner.STAFF, Owner.COORDINATOR
SURG, START = Anchor.SURGERY, Anchor.STAGE_START

# (step, text, owner, anchor, offset days, required)
COMMON_ITEMS = [
    (
        Step.CONSULTATION,
        "Bring a list of every medicine and supplement you take",
        P,
        START,
        0,
        True,
    ),
    (Step.CONSULTATION, "Record the patient's medications and smoking status", S, START, 0, True),
    (Step.PREOP_TESTING, "Schedule the required pre-operative tests", C, START, 2, True),
    (Step.PREOP_TESTING, "Go to each of your pre-operative tests", P, SURG, -14, True),
    (Step.PREPARATION, "Stop herbal supplements and fish oil", P, SURG, -14, True),
    (
        Step.PREPARATION,
        "Arrange a ride home and someone to stay with you the first night",
        P,
        SURG,
        -7,
        True,
    ),
    (
        Step.PREPARATION,
        "Get written instructions from your prescriber for any blood thinner",
        C,
        SURG,
        -10,
        True,
    ),
    (Step.PREPARATION, "Shower with the antiseptic wash the night before", P, SURG, -1, True),
    (
        Step.PREPARATION,
        "Stop eating solid food the evening before, as your care team told you",
        P,
        SURG,
        -1,
        True,
    ),
    (Step.PREPARATION, "Confirm arrival time with the patient", C, SURG, -2, True),
    (Step.RECOVERY, "Walk with help on the day of surgery or the day after", P, START, 1, True),
    (Step.RECOVERY, "Learn the warning signs that mean you should call", P, START, 0, True),
    (Step.REHABILITATION, "Book your physical therapy sessions", P, START, 3, True),
    (Step.REHABILITATION, "Walk a little further every day", P, START, 7, False),
]
FUSION_ITEMS = [
    (
        Step.PREPARATION,
        "Stop smoking and all nicotine, including vaping and patches",
        P,
        SURG,
        -42,
        True,
    ),
    (
        Step.REHABILITATION,
        "Avoid bending, lifting more than 10 lb and twisting until cleared",
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
    "Lumbar fusion (open)": (ALL_STEPS, FUSION_ITEMS, FUSION_TESTS, 2, 8, 6),
    "Lumbar fusion (minimally invasive)": (ALL_STEPS, FUSION_ITEMS, FUSION_TESTS, 2, 6, 4),
    "Cervical fusion (ACDF)": (ALL_STEPS, FUSION_ITEMS, FUSION_TESTS, 2, 6, 4),
    "Lumbar microdiscectomy": (NO_FUSION, [], DECOMPRESSION_TESTS, 2, 6, 2),
    "Lumbar laminectomy": (NO_FUSION, [], DECOMPRESSION_TESTS, 2, 6, 2),
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
        "No food, milk or chewing gum",
        "You may still drink clear liquids until your clear-liquid time.",
        "ASA 2017/2023: 8 h or more for fatty food or meat, 6 h for a light meal or milk; "
        "8 h for all solids is the common simplification. [F1][F2][F4] Confidence H.",
    ),
    (
        FastingKind.CLEAR_LIQUIDS,
        FastingAnchor.ARRIVAL,
        2,
        "Nothing to drink, not even water,",
        "Until then, clear liquids are fine: water, clear juice without pulp, "
        "black coffee or tea without milk.",
        "ASA: clear liquids (incl. carbohydrate drinks) up to 2 h before anaesthesia. "
        "[F1][F3][F4][F5] Confidence H. ⚠ Not for gastroparesis or GLP-1 users at risk.",
    ),
]

AP, AC, NSAID = DrugClass.ANTIPLATELET, DrugClass.ANTICOAGULANT, DrugClass.NSAID
SGLT2, GLP1, SUPP = DrugClass.SGLT2, DrugClass.GLP1, DrugClass.SUPPLEMENT
RHEUM = DrugClass.RHEUMATOLOGY
ASK, KEEP = HoldPolicy.PRESCRIBER, HoldPolicy.CONTINUE

SURGEON = "Restart only when your surgeon tells you to."
ASK_NSAID = "Ask your surgeon before taking any anti-inflammatory after surgery."
EATING = "Restart when you are eating and drinking normally, as your care team says."
DISCUSS = "Discuss this with your care team before you stop it."
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
    Med("Aspirin", "no heart or stroke history", AP, days=7, restart=SURGEON, source=(
        "ACCP 2012: 7 d for primary prevention; ASRA pain (high risk) 6 d; spine series: "
        "no excess bleeding when stopped 7-10 d. The literature conflicts (§7.1). "
        "[M8][M10][M11][M12] Confidence M.")),
    Med("Aspirin", "after a stent, heart attack or stroke", AP, policy=ASK, heads_up=0, source=(
        "⚠ Prescriber or cardiology decides. ACC/AHA 2024: continue after PCI if possible; "
        "stopping risks stent thrombosis. [M6][M13][M12] Confidence M.")),
    Med("Clopidogrel (Plavix)", "no coronary stent", AP, days=5, restart=SURGEON, source=(
        "ACCP 2022: 5 d; reviews 5-7 d; ASRA pain 7 d (unverified). " + STENT
        + " [M6][M18] Confidence M.")),
    Med("Clopidogrel (Plavix)", "with a coronary stent", AP, policy=ASK, heads_up=0, source=(
        "⚠ Cardiology decides; elective surgery waits 3-6 months after a drug-eluting "
        "stent. [M6][M13] Confidence M.")),
    Med("Prasugrel (Effient)", "no coronary stent", AP, days=7, restart=SURGEON, source=(
        "ACCP 2022: 7 d; ASRA 7-10 d. " + STENT + " [M6][M18] Confidence M.")),
    Med("Prasugrel (Effient)", "with a coronary stent", AP, policy=ASK, heads_up=0, source=(
        "⚠ Cardiology decides. [M6][M13] Confidence M.")),
    Med("Ticagrelor (Brilinta)", "no coronary stent", AP, days=5, restart=SURGEON, source=(
        "ACCP 2022: 3-5 d; AHA (elective CABG) 5 d; ASRA 5-7 d (unverified). " + STENT
        + " [M6][M18][M19] Confidence M.")),
    Med("Ticagrelor (Brilinta)", "with a coronary stent", AP, policy=ASK, heads_up=0, source=(
        "⚠ Cardiology decides. [M6][M13] Confidence M.")),
    Med("Cilostazol", "", AP, days=2, restart=SURGEON, source=(
        "ASRA pain (high risk): 2 d. [M8] Confidence H.")),
    Med("Dipyridamole", "", AP, days=2, restart=SURGEON, source=(
        "ASRA pain (high risk): 2 d. [M8] Confidence H.")),
    # Anticoagulants (§2.2)
    Med("Warfarin (Coumadin)", "", AC, days=5, policy=ASK, heads_up=0, source=(
        "⚠ Typically last dose 5 d before, with a normal INR the day before; bridging only "
        "for high clot risk (mechanical mitral valve, recent stroke or VTE), a prescriber "
        "decision. [M6][M8] Confidence H.")),
    Med("Anticoagulant (blood thinner)", "mechanical heart valve, recent clot or stroke", AC,
        policy=ASK, heads_up=0, source=(
        "⚠ Never automatic: the prescriber decides the hold and any bridging. "
        "[M6] Confidence H.")),
    Med("Apixaban (Eliquis)", "", AC, days=2, restart=SURGEON, source=(
        "ACCP 2022 / PAUSE, high bleeding risk: 2 d (last dose on day -3); ASRA neuraxial "
        "72 h for treatment doses. Poor kidney function lengthens the hold. No bridging. "
        "[M6][M7][M8][M9] Confidence H.")),
    Med("Rivaroxaban (Xarelto)", "", AC, days=2, restart=SURGEON, source=(
        "ACCP 2022 / PAUSE, high bleeding risk: 2 d; ASRA neuraxial 72 h for treatment "
        "doses. [M6][M7][M8][M9] Confidence H.")),
    Med("Edoxaban (Savaysa)", "", AC, days=2, restart=SURGEON, source=(
        "As apixaban and rivaroxaban (ACCP 2022). [M6][M7] Confidence H.")),
    Med("Dabigatran (Pradaxa)", "kidney function normal (CrCl 50 or more)", AC, days=2,
        restart=SURGEON, source=(
        "PAUSE, high bleeding risk: 2 d if CrCl >= 50. ⚠ Needs a recent creatinine. "
        "[M7][M20] Confidence M.")),
    Med("Dabigatran (Pradaxa)", "reduced kidney function (CrCl under 50)", AC, days=4,
        restart=SURGEON, source=(
        "PAUSE, high bleeding risk: 4 d if CrCl < 50; other tables 96 h (CrCl 30-50). "
        "[M7][M20] Confidence M.")),
    Med("Enoxaparin (Lovenox)", "preventive dose", AC, hours=12, heads_up=1, restart=SURGEON,
        source="ASRA neuraxial and pain: last preventive dose 12 h or more before. "
        "[M8][M9] Confidence H."),
    Med("Enoxaparin (Lovenox)", "treatment dose", AC, hours=24, heads_up=1, restart=SURGEON,
        source="ASRA neuraxial and pain: last treatment dose 24 h or more before. "
        "[M8][M9] Confidence H."),
    # NSAIDs: five half-lives, ASRA pain guideline for high-risk procedures (§2.2)
    Med("Ibuprofen (Advil, Motrin)", "", NSAID, days=1, heads_up=2, restart=ASK_NSAID, source=(
        "ASRA pain: 1 d. Many practices say 7 d for every NSAID. [M8] Confidence H.")),
    Med("Diclofenac (Voltaren tablets)", "", NSAID, days=1, heads_up=2, restart=ASK_NSAID,
        source="ASRA pain: 1 d. [M8] Confidence H."),
    Med("Ketorolac (Toradol)", "", NSAID, days=1, heads_up=2, restart=ASK_NSAID, source=(
        "ASRA pain: 1 d. High-dose use after fusion is linked to nonunion. [M8][M17] "
        "Confidence H.")),
    Med("Etodolac", "", NSAID, days=2, restart=ASK_NSAID, source="ASRA pain: 2 d. [M8] H."),
    Med("Indomethacin", "", NSAID, days=2, restart=ASK_NSAID, source="ASRA pain: 2 d. [M8] H."),
    Med("Naproxen (Aleve)", "", NSAID, days=4, restart=ASK_NSAID, source="ASRA pain: 4 d. [M8] H."),
    Med("Meloxicam (Mobic)", "", NSAID, days=4, restart=ASK_NSAID,
        source="ASRA pain: 4 d. [M8] H."),
    Med("Nabumetone", "", NSAID, days=6, restart=ASK_NSAID, source="ASRA pain: 6 d. [M8] H."),
    Med("Oxaprozin (Daypro)", "", NSAID, days=10, restart=ASK_NSAID,
        source="ASRA pain: 10 d. [M8] H."),
    Med("Piroxicam (Feldene)", "", NSAID, days=10, restart=ASK_NSAID,
        source="ASRA pain: 10 d. [M8] H."),
    Med("Celecoxib (Celebrex)", "", NSAID, policy=KEEP, heads_up=0, restart=ASK_NSAID, source=(
        "⚠ Little effect on platelets and ASRA lists no hold, but many surgeons still hold "
        "it: the clinic chooses. [M8][M14] Confidence M.")),
    # SGLT2 inhibitors: FDA label 2020 (§2.3); combination products follow their SGLT2 part
    Med("Canagliflozin (Invokana)", "", SGLT2, days=3, restart=EATING, source=(
        "FDA label: at least 3 d (ketoacidosis). [M21][M4][M5] Confidence H.")),
    Med("Dapagliflozin (Farxiga)", "", SGLT2, days=3, restart=EATING, source=(
        "FDA label: at least 3 d. [M21] Confidence H.")),
    Med("Empagliflozin (Jardiance)", "", SGLT2, days=3, restart=EATING, source=(
        "FDA label: at least 3 d. [M21] Confidence H.")),
    Med("Ertugliflozin (Steglatro)", "", SGLT2, days=4, restart=EATING, source=(
        "FDA label: at least 4 d. [M21] Confidence H.")),
    # GLP-1 agonists (§2.4): ASA 2023 hold; ⚠ the 2024 multisociety guidance lets most
    # patients continue with 24 h of clear liquids. The clinic picks its template.
    Med("Semaglutide injection (Ozempic, Wegovy)", "weekly", GLP1, days=7, restart=EATING,
        note=DISCUSS, source=(
        "⚠ ASA 2023: hold a weekly agent for the week before; 2024 multisociety guidance: "
        "most continue. [M22][M25][M26] Confidence H.")),
    Med("Dulaglutide (Trulicity)", "weekly", GLP1, days=7, restart=EATING, note=DISCUSS,
        source="⚠ As weekly semaglutide. [M22][M25] Confidence H."),
    Med("Tirzepatide (Mounjaro, Zepbound)", "weekly", GLP1, days=7, restart=EATING,
        note=DISCUSS, source="⚠ As weekly semaglutide (GIP/GLP-1). [M22][M25] Confidence H."),
    Med("Exenatide extended-release (Bydureon)", "weekly", GLP1, days=7, restart=EATING,
        note=DISCUSS, source="⚠ As weekly semaglutide. [M22][M25] Confidence H."),
    Med("Semaglutide tablets (Rybelsus)", "daily", GLP1, days=0, heads_up=0, restart=EATING,
        note=DISCUSS, source="ASA 2023: hold a daily agent on the day of surgery. [M22] H."),
    Med("Liraglutide (Victoza, Saxenda)", "daily", GLP1, days=0, heads_up=0, restart=EATING,
        note=DISCUSS, source="ASA 2023: hold on the day of surgery. [M22] Confidence H."),
    Med("Exenatide (Byetta)", "twice daily", GLP1, days=0, heads_up=0, restart=EATING,
        note=DISCUSS, source="ASA 2023: hold on the day of surgery. [M22] Confidence H."),
    # Other diabetes medicines (§2.5)
    Med("Metformin", "", DrugClass.DIABETES, days=0, heads_up=0, restart=EATING, source=(
        "ADA Standards of Care: hold on the day of surgery. [M5] Confidence H.")),
    # Supplements (§2.6)
    Med("Herbal supplements", "any not listed separately", SUPP, days=14, restart=SURGEON,
        source="ASA advice to patients: stop 2 weeks before (some hospitals 2-3). "
        "[M29][M30][M31] Confidence M."),
    Med("Garlic supplements", "", SUPP, days=7, restart=SURGEON, source=(
        "At least 7 d (bleeding). [M30] Confidence M.")),
    Med("Ginseng", "", SUPP, days=7, restart=SURGEON, source=(
        "At least 7 d (bleeding, low blood sugar). [M30] Confidence M.")),
    Med("Ginkgo", "", SUPP, hours=36, heads_up=2, restart=SURGEON, source=(
        "At least 36 h (Ang-Lee 2001); secondary sources say 3 or 7 d. [M30] Confidence M.")),
    Med("St John's wort", "", SUPP, days=5, restart=SURGEON, source=(
        "At least 5 d (drug interactions). [M30] Confidence M.")),
    Med("Fish oil (omega-3)", "", SUPP, days=7, restart=SURGEON, source=(
        "⚠ No society interval: hospital handouts say 7-14 d. [M32][M9] Confidence L.")),
    Med("Vitamin E", "", SUPP, days=7, restart=SURGEON, source=(
        "⚠ No society interval: handouts say 7-14 d, often above 400 IU. [M32] Confidence L.")),
    # Hormones and rheumatology (§2.6)
    Med("Estrogen (combined pill or HRT)", "", DrugClass.HORMONE, policy=ASK, heads_up=0,
        source="⚠ NICE: consider stopping 4 weeks before; US practice varies. The clinic "
        "chooses. [M33][M34] Confidence L."),
    Med("Methotrexate", "", RHEUM, policy=KEEP, heads_up=0, source=(
        "ACR/AAHKS 2022 (hip and knee, extrapolated to spine): continue. [M35] Confidence M.")),
    Med("Biologic (TNF inhibitor and others)", "", RHEUM, policy=ASK, heads_up=0, source=(
        "ACR/AAHKS 2022: withhold and time surgery to the end of the dosing cycle; the "
        "prescriber plans it. [M35] Confidence M.")),
    Med("JAK inhibitor (tofacitinib and others)", "", RHEUM, days=3,
        restart="Restart when your surgeon says the wound is healing well.", source=(
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
