"""Who and where the demo clinic is: its accounts, its patients and their situations,
and its locations."""

from journeys.caregivers import caregiver_invite
from journeys.models import Clinic, Location, Role
from journeys.people import person_create

DEMO_PASSWORD = "spinecare-demo"  # noqa: S105 -- documented demo password, DEBUG only
CLINIC_NAME = "Riverside Spine Center"

ACCOUNTS = [
    # email, name, role
    ("patient@example.com", "Maria Lopez", Role.PATIENT),
    ("patient2@example.com", "James Carter", Role.PATIENT),
    ("nurse@example.com", "Nora Quinn, RN", Role.STAFF),
    ("coordinator@example.com", "Chris Park", Role.COORDINATOR),
    ("surgeon@example.com", "Dr. Ana Reyes", Role.STAFF),
    ("family@example.com", "Sam Kim", Role.CAREGIVER),
]
# caregiver: (the patient whose journey they follow, relationship). Daniel Kim is on
# surgery day, so his caregiver sees the live surgery panel.
FOLLOWING = {"family@example.com": ("daniel.kim@example.com", "spouse")}

# email, procedure, surgery in days (None: not set; others than today move to a weekday),
# steps to complete, then what to do with the current step ("block: reason" or "").
PATIENTS = [
    ("patient@example.com", "Lumbar fusion (open)", 6, 2, ""),
    ("patient2@example.com", "Lumbar microdiscectomy", 20, 1, ""),
    ("daniel.kim@example.com", "Cervical fusion (ACDF)", 0, 5, ""),
    ("grace.obi@example.com", "Lumbar laminectomy", -30, 8, ""),
    (
        "henry.walsh@example.com",
        "Lumbar fusion (minimally invasive)",
        12,
        1,
        "block: Waiting for the HbA1c result",
    ),
    ("aisha.rahman@example.com", "Lumbar fusion (open)", None, 0, ""),
    ("tom.berg@example.com", "Lumbar microdiscectomy", 9, 2, ""),
    ("lucia.ferrari@example.com", "Cervical fusion (ACDF)", 25, 1, ""),
    ("sam.oneill@example.com", "Lumbar laminectomy", -3, 7, ""),
    ("priya.nair@example.com", "Lumbar fusion (minimally invasive)", 35, 1, ""),
    ("omar.haddad@example.com", "Lumbar fusion (open)", -70, 9, ""),
    ("ellen.fischer@example.com", "Lumbar microdiscectomy", 3, 2, ""),
]
NAMES = {
    "daniel.kim@example.com": "Daniel Kim",
    "grace.obi@example.com": "Grace Obi",
    "henry.walsh@example.com": "Henry Walsh",
    "aisha.rahman@example.com": "Aisha Rahman",
    "tom.berg@example.com": "Tom Berg",
    "lucia.ferrari@example.com": "Lucia Ferrari",
    "sam.oneill@example.com": "Sam O'Neill",
    "priya.nair@example.com": "Priya Nair",
    "omar.haddad@example.com": "Omar Haddad",
    "ellen.fischer@example.com": "Ellen Fischer",
}
# A checklist item the patient has not done yet, though it is due: shows as overdue.
STILL_OPEN = {"ellen.fischer@example.com": "Arrange a ride home"}
# A test ordered on top of the procedure's, whose result the blocked patient waits for.
EXTRA_TESTS = {"henry.walsh@example.com": "HbA1c"}

LOCATIONS = {
    "hospital": ("Riverside Hospital, Surgery Center", "100 River Road, 2nd floor"),
    "office": ("Riverside Spine Center, clinic", "120 River Road, suite 300"),
    "lab": ("Riverside Lab", "100 River Road, ground floor"),
    "therapy": ("Riverside Physical Therapy", "120 River Road, ground floor"),
}


def clinic_create():
    return Clinic.objects.create(
        name=CLINIC_NAME,
        time_zone="America/Los_Angeles",
        phone="(555) 010-2030",
        after_hours_phone="(555) 010-2099",
    )


def make_user(email, name, role, clinic):
    return person_create(
        email=email,
        full_name=name,
        role=role,
        clinic=clinic,
        password=DEMO_PASSWORD,
        phone="(555) 010-0000",
    )


def make_locations(clinic):
    return {
        key: Location.objects.create(clinic=clinic, name=name, address=address)
        for key, (name, address) in LOCATIONS.items()
    }


def follow(journeys, people):
    """Each patient in FOLLOWING shares their journey with their caregiver, as in the app."""
    for email, (patient_email, relationship) in FOLLOWING.items():
        journey = journeys[patient_email]
        caregiver_invite(
            journey=journey,
            email=email,
            full_name=people[email].full_name,
            relationship=relationship,
            by=journey.patient,
        )
