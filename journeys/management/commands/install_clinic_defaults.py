"""Install the default pre-op test catalogue and procedure templates for a real clinic.

    manage.py install_clinic_defaults --clinic "Riverside Spine Center"
    manage.py install_clinic_defaults --clinic 3
    manage.py install_clinic_defaults --clinic "Summit Spine" --create \\
        --time-zone America/Denver --phone "(555) 010-4000"

Idempotent: a test or procedure the clinic already has (by name) is left exactly as
the clinic edited it; only missing ones are created. See journeys/defaults.py.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from journeys.defaults import PROCEDURES, TESTS, install_clinic_defaults
from journeys.models import Clinic, PreopTestType, ProcedureTemplate


class Command(BaseCommand):
    help = (
        "Install the default pre-op test catalogue and procedure templates for a clinic. "
        "Never changes what the clinic already has."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="The clinic's name or id.")
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create the clinic if it does not exist (needs --time-zone and --phone).",
        )
        parser.add_argument("--time-zone", help="IANA time zone, e.g. America/Denver.")
        parser.add_argument("--phone", help="The care team's number patients call.")
        parser.add_argument("--after-hours-phone", default="", help="Optional after-hours number.")

    def handle(self, *args, **options):
        with transaction.atomic():
            clinic, created = self._clinic(options)
            had_tests = self._names(PreopTestType, clinic)
            had_procedures = self._names(ProcedureTemplate, clinic)
            install_clinic_defaults(clinic)

        state = "created" if created else "found"
        self.stdout.write(f"Clinic {clinic.name} (id {clinic.pk}, {clinic.time_zone}): {state}.")
        verbose = options["verbosity"] > 1
        self._report("Pre-op tests", TESTS, had_tests, verbose=verbose)
        self._report("Procedure templates", PROCEDURES, had_procedures, verbose=verbose)

    def _clinic(self, options):
        reference = options["clinic"].strip()
        if not reference:
            raise CommandError("--clinic needs a clinic name or id.")
        clinic = self._find(reference)
        if clinic is not None:
            if options["create"] and (options["time_zone"] or options["phone"]):
                self.stdout.write(
                    "The clinic already exists; --time-zone and --phone were not applied. "
                    "Change its details in the admin."
                )
            return clinic, False
        if not options["create"]:
            raise CommandError(
                f"No clinic named or numbered “{reference}”. Known clinics: "
                f"{self._known()}. To create it, add --create --time-zone ZONE --phone PHONE."
            )
        return self._create(reference, options), True

    def _find(self, reference):
        if reference.isdigit():
            clinic = Clinic.objects.filter(pk=int(reference)).first()
            if clinic is not None:
                return clinic
        matches = list(Clinic.objects.filter(name__iexact=reference))
        if len(matches) > 1:
            ids = ", ".join(str(c.pk) for c in matches)
            raise CommandError(
                f"Several clinics are named “{reference}” (ids {ids}); pass the id instead."
            )
        return matches[0] if matches else None

    def _known(self):
        clinics = [f"{c.name} (id {c.pk})" for c in Clinic.objects.order_by("pk")[:20]]
        return "; ".join(clinics) or "none yet"

    def _create(self, name, options):
        if name.isdigit():
            raise CommandError(f"No clinic has id {name}. To create a clinic, give its name.")
        missing = [flag for flag in ("time_zone", "phone") if not options[flag]]
        if missing:
            flags = " and ".join("--" + flag.replace("_", "-") for flag in missing)
            raise CommandError(f"Creating a clinic needs {flags}.")
        clinic = Clinic(
            name=name,
            time_zone=options["time_zone"].strip(),
            phone=options["phone"].strip(),
            after_hours_phone=options["after_hours_phone"].strip(),
        )
        try:
            clinic.full_clean()
        except ValidationError as error:
            problems = "; ".join(
                f"{field.replace('_', ' ')}: {' '.join(messages)}"
                for field, messages in error.message_dict.items()
            )
            raise CommandError(f"Clinic “{name}” was not created. {problems}") from error
        clinic.save()
        return clinic

    def _names(self, model, clinic):
        return set(model.objects.filter(clinic=clinic).values_list("name", flat=True))

    def _report(self, label, defaults, existing, *, verbose):
        created = [name for name in defaults if name not in existing]
        kept = [name for name in defaults if name in existing]
        self.stdout.write(
            f"{label}: {len(created)} created, {len(kept)} already there (left unchanged)."
        )
        for name in created:
            self.stdout.write(self.style.SUCCESS(f"  + {name}"))
        if verbose:
            for name in kept:
                self.stdout.write(f"  = {name}")
