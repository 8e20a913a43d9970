"""Seed a believable demo clinic. Refuses to run unless DEBUG is on; idempotent."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from journeys import transitions
from journeys.defaults import install_clinic_defaults
from journeys.enrolment import journey_enroll, recompute_due_dates
from journeys.models import (
    Appointment,
    AppointmentKind,
    Clinic,
    Journey,
    Location,
    PreopResult,
    ProcedureTemplate,
    Role,
    Stage,
    StageStatus,
    User,
)
from journeys.reconcile import reminders_reconcile

DEMO_PASSWORD = "spinecare-demo"  # noqa: S105 -- documented demo password, DEBUG only
CLINIC_NAME = "Riverside Spine Center"

ACCOUNTS = [
    # email, name, role
    ("patient@example.com", "Maria Lopez", Role.PATIENT),
    ("patient2@example.com", "James Carter", Role.PATIENT),
    ("nurse@example.com", "Nora Quinn, RN", Role.STAFF),
    ("coordinator@example.com", "Chris Park", Role.COORDINATOR),
    ("surgeon@example.com", "Dr. Ana Reyes", Role.STAFF),
]

# email, name, procedure, surgery in days (None: not set), steps to complete, then
# what to do with the current step ("block: reason" or "").
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


class Command(BaseCommand):
    help = "Create the demo clinic, its accounts and a dozen patients (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        if Clinic.objects.filter(name=CLINIC_NAME).exists():
            self.stdout.write("Demo data already present; nothing changed.")
        else:
            self._seed()
            self.stdout.write(self.style.SUCCESS("Demo clinic created."))
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for email, name, role in ACCOUNTS:
            self.stdout.write(f"  {email:<26} {role.label:<13} {name}")

    @transaction.atomic
    def _seed(self):
        clinic = Clinic.objects.create(
            name=CLINIC_NAME,
            time_zone="America/Los_Angeles",
            phone="(555) 010-2030",
            after_hours_phone="(555) 010-2099",
        )
        main = Location.objects.create(
            clinic=clinic,
            name="Riverside Hospital, Surgery Center",
            address="100 River Road, 2nd floor",
        )
        lab = Location.objects.create(
            clinic=clinic, name="Riverside Lab", address="100 River Road, ground floor"
        )
        install_clinic_defaults(clinic)
        people = {}
        for email, name, role in ACCOUNTS:
            people[email] = self._user(email, name, role, clinic)
        nurse, surgeon = people["nurse@example.com"], people["surgeon@example.com"]
        for email, procedure_name, days, completed, then in PATIENTS:
            patient = people.get(email) or self._user(email, NAMES[email], Role.PATIENT, clinic)
            procedure = ProcedureTemplate.objects.get(clinic=clinic, name=procedure_name)
            self._journey(
                patient,
                procedure,
                days,
                completed,
                then,
                nurse=nurse,
                surgeon=surgeon,
                main=main,
                lab=lab,
            )

    def _user(self, email, name, role, clinic):
        user = User.objects.create_user(
            email, DEMO_PASSWORD, full_name=name, role=role, clinic=clinic, phone="(555) 010-0000"
        )
        return user

    def _journey(self, patient, procedure, days, completed, then, *, nurse, surgeon, main, lab):
        zone = procedure.clinic.zone
        now = timezone.now()
        # Enrol with a future date; past surgeries are moved back after their steps ran.
        future = datetime.combine(
            now.astimezone(zone).date() + timedelta(days=max(days or 1, 1)),
            time(7, 30),
            tzinfo=zone,
        )
        journey = journey_enroll(
            patient=patient,
            procedure=procedure,
            by=nurse,
            surgery_at=future if days is not None else None,
            surgeon=surgeon,
            location=main,
        )
        self._tests(journey, lab, cleared=completed >= 2)
        for stage in Stage.objects.filter(journey=journey).order_by("position")[:completed]:
            stage.refresh_from_db()
            if stage.status == StageStatus.PENDING:
                transitions.stage_start(stage=stage, by=nurse)
            transitions.stage_complete(stage=stage, by=nurse)
        if then.startswith("block: "):
            current = journey.stages.filter(status=StageStatus.ACTIVE).first()
            transitions.stage_block(stage=current, by=nurse, reason=then.removeprefix("block: "))
        if days is not None and days <= 0:
            surgery = datetime.combine(
                now.astimezone(zone).date() + timedelta(days=days), time(7, 30), tzinfo=zone
            )
            # Demo history only: a real surgery date is never set in the past.
            Journey.objects.filter(pk=journey.pk).update(surgery_at=surgery)
            journey.refresh_from_db()
            recompute_due_dates(journey)
            reminders_reconcile(journey=journey)
        if journey.surgery_at and journey.surgery_at > now:
            Appointment.objects.create(
                journey=journey,
                kind=AppointmentKind.SURGERY,
                starts_at=journey.surgery_at,
                duration=timedelta(hours=4),
                location=main,
            )
        return journey

    def _tests(self, journey, lab, *, cleared):
        now = timezone.now()
        for index, test in enumerate(journey.required_tests.all()):
            starts = (
                now - timedelta(days=3, hours=index) if cleared else now + timedelta(days=2 + index)
            )
            Appointment.objects.create(
                journey=journey,
                kind=AppointmentKind.PREOP_TEST,
                test_type=test,
                starts_at=starts.replace(minute=0, second=0, microsecond=0),
                location=lab,
                result=PreopResult.CLEARED if cleared else PreopResult.PENDING,
                resulted_at=starts if cleared else None,
            )
        if cleared or journey.surgery_at is None:
            return
        reminders_reconcile(journey=journey)
