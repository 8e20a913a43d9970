"""A new clinic's starting catalogue, drawn from ../shared/CLINICAL.md.

These are defaults for the clinic to edit in the admin, not rules: every text and
number below is the clinic's to change. `install_clinic_defaults` is idempotent.
"""

from django.db import transaction

from journeys.models import (
    Anchor,
    ChecklistItemTemplate,
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


@transaction.atomic
def install_clinic_defaults(clinic):
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
