"""Seed the demo clinic (journeys/demo/). Refuses to run unless DEBUG is on; idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from journeys.demo import ACCOUNTS, DEMO_PASSWORD, is_seeded, seed


class Command(BaseCommand):
    help = "Create the demo clinic, its accounts and a dozen patients (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        if is_seeded():
            self.stdout.write("Demo data already present; nothing changed.")
        else:
            seed()
            self.stdout.write(self.style.SUCCESS("Demo clinic created."))
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for email, name, role in ACCOUNTS:
            self.stdout.write(f"  {email:<26} {role.label:<13} {name}")
