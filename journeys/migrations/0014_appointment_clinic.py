"""Each appointment keeps its journey's clinic, so a clinic's day is one index range.

The column is added empty, filled from each appointment's journey, then made required;
the day index on starts_at alone gives way to one on (clinic, starts_at).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_journey_clinic(apps, schema_editor):
    Appointment = apps.get_model("journeys", "Appointment")
    Journey = apps.get_model("journeys", "Journey")
    clinic = Journey.objects.filter(pk=OuterRef("journey_id")).values("clinic_id")[:1]
    Appointment.objects.update(clinic_id=Subquery(clinic))


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0013_journey_open_by_surgery"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="clinic",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="journeys.clinic",
            ),
        ),
        migrations.RunPython(copy_journey_clinic, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="appointment",
            name="clinic",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="journeys.clinic",
            ),
        ),
        migrations.RemoveIndex(
            model_name="appointment",
            name="appointment_by_start",
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["clinic", "starts_at"], name="appointment_by_clinic_day"),
        ),
    ]
