"""Each role is a Django group carrying the model permissions that role works with.

Access to patient data is still decided by journeys/access.py (ownership, clinic,
caregiver grants); these permissions decide what each role may do in the admin and
which kinds of change it may make at all.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = [
    "view_journey",
    "change_stage",
    "add_checklistitem",
    "change_checklistitem",
    "delete_checklistitem",
    "view_appointment",
    "change_appointment",
    "view_reminder",
    "view_delivery",
    "view_auditevent",
    "add_caregivergrant",
    "change_caregivergrant",
]
COORDINATOR = [
    *STAFF,
    "add_journey",
    "change_journey",
    "add_appointment",
    "delete_appointment",
    "add_invitation",
]
CLINIC_ADMIN = [
    *COORDINATOR,
    *(
        f"{verb}_{model}"
        for model in (
            "proceduretemplate",
            "procedurestep",
            "checklistitemtemplate",
            "preoptesttype",
            "location",
        )
        for verb in ("add", "change", "delete", "view")
    ),
    "view_clinic",
    "change_clinic",
    "add_user",
    "change_user",
    "view_user",
    "view_stageevent",
]
ROLE_PERMISSIONS = {
    "patient": [],
    "caregiver": [],
    "staff": STAFF,
    "coordinator": COORDINATOR,
    "clinic_admin": CLINIC_ADMIN,
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after migrations; this one needs them now.
    journeys = apps.get_app_config("journeys")
    journeys.models_module = True
    create_permissions(journeys, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="journeys", codename__in=codenames)
        )


def add_people_to_their_role_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("journeys", "User")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.user_set.add(*User.objects.filter(role=group.name))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("journeys", "0002_invitations_caregiver_grants"),
    ]

    operations = [
        migrations.RunPython(create_role_groups, migrations.RunPython.noop),
        migrations.RunPython(add_people_to_their_role_group, migrations.RunPython.noop),
    ]
