"""Each journey keeps the step of its first open stage, for the worklist's step filter.

Filled here from the stages; from now on journeys/enrolment.py's current_steps_refresh
keeps it wherever stages are written.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def copy_current_step(apps, schema_editor):
    Journey = apps.get_model("journeys", "Journey")
    Stage = apps.get_model("journeys", "Stage")
    first_open = (
        Stage.objects.filter(journey=OuterRef("pk"))
        .exclude(status__in=["done", "skipped"])
        .order_by("position")
        .values("step")[:1]
    )
    Journey.objects.update(current_step=Coalesce(Subquery(first_open), Value("")))


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0014_appointment_clinic"),
    ]

    operations = [
        migrations.AddField(
            model_name="journey",
            name="current_step",
            field=models.CharField(
                blank=True,
                choices=[
                    ("consultation", "Consultation"),
                    ("preop_testing", "Pre-operative testing"),
                    ("preparation", "Preparation"),
                    ("anesthesia", "Anesthesia"),
                    ("incision", "Incision"),
                    ("bone_removal", "Bone removal"),
                    ("fusion", "Fusion"),
                    ("closure", "Closure"),
                    ("recovery", "Recovery"),
                    ("rehabilitation", "Rehabilitation"),
                ],
                default="",
                editable=False,
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_current_step, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="journey",
            index=models.Index(
                condition=models.Q(("status__in", ["active", "on_hold"])),
                fields=["clinic", "current_step", "surgery_at", "id"],
                name="journey_open_by_step",
            ),
        ),
    ]
