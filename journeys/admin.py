from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from journeys.audit import audit_journey_view, audit_record
from journeys.models import (
    AuditEvent,
    ChecklistItemTemplate,
    Clinic,
    Delivery,
    FastingRule,
    Journey,
    JourneyMedication,
    Location,
    Medication,
    PreopTestType,
    ProcedureStep,
    ProcedureTemplate,
    Reminder,
    StageEvent,
    User,
)


class ClinicScopedAdmin(admin.ModelAdmin):
    """A clinic admin sees and edits only their own clinic's rows; superusers see all.

    `clinic_path` is the lookup from the model to its clinic.
    """

    clinic_path = "clinic"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(**{self.clinic_path: request.user.clinic_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices for a clinic or a template stop at the admin's own clinic too.
        if not request.user.is_superuser and db_field.name == "clinic":
            kwargs["queryset"] = Clinic.objects.filter(pk=request.user.clinic_id)
        if not request.user.is_superuser and db_field.name == "procedure":
            kwargs["queryset"] = ProcedureTemplate.objects.filter(clinic=request.user.clinic_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    clinic_path = "pk"
    list_display = ["name", "time_zone", "phone"]
    inlines = [LocationInline]


@admin.register(User)
class UserAdmin(ClinicScopedAdmin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "clinic", "is_active"]
    list_filter = ["role", "clinic", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Person",
            {"fields": ["full_name", "role", "clinic", "phone", "date_of_birth", "language"]},
        ),
        ("Reminders", {"fields": ["reminder_channel", "quiet_start", "quiet_end"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "full_name", "role", "clinic", "password1", "password2"]})
    ]


@admin.register(PreopTestType)
class PreopTestTypeAdmin(ClinicScopedAdmin):
    list_display = ["name", "clinic", "validity_days", "needs_fasting"]
    list_filter = ["clinic"]


class ProcedureStepInline(admin.StackedInline):
    model = ProcedureStep
    extra = 0
    show_change_link = True


@admin.register(ProcedureTemplate)
class ProcedureTemplateAdmin(ClinicScopedAdmin):
    list_display = ["name", "clinic", "is_active"]
    list_filter = ["clinic", "is_active"]
    filter_horizontal = ["required_tests"]
    inlines = [ProcedureStepInline]


class ChecklistItemTemplateInline(admin.TabularInline):
    model = ChecklistItemTemplate
    extra = 1


@admin.register(ProcedureStep)
class ProcedureStepAdmin(ClinicScopedAdmin):
    clinic_path = "procedure__clinic"
    list_display = ["title", "procedure", "step"]
    list_filter = ["procedure"]
    inlines = [ChecklistItemTemplateInline]


@admin.register(FastingRule)
class FastingRuleAdmin(ClinicScopedAdmin):
    list_display = ["kind", "hours_before", "anchor", "instruction", "clinic", "is_active"]
    list_filter = ["clinic", "is_active"]


@admin.register(Medication)
class MedicationAdmin(ClinicScopedAdmin):
    list_display = [
        "name",
        "use",
        "drug_class",
        "hold_policy",
        "hold_days",
        "hold_hours",
        "heads_up_days",
        "is_active",
    ]
    list_filter = ["clinic", "drug_class", "hold_policy", "is_active"]
    search_fields = ["name", "use"]


class ReadOnlyAdmin(ClinicScopedAdmin):
    """History is append-only: the admin may look, never edit or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    clinic_path = "patient__clinic"
    list_display = ["at", "actor", "action", "patient", "ip_address"]
    list_filter = ["action"]


@admin.register(StageEvent)
class StageEventAdmin(ReadOnlyAdmin):
    clinic_path = "stage__journey__clinic"
    list_display = ["at", "stage", "from_status", "to_status", "by"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    clinic_path = "journey__clinic"
    list_display = ["due_at", "journey", "subject", "channel", "status", "attempts"]
    list_filter = ["status", "channel"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    clinic_path = "reminder__journey__clinic"
    list_display = ["started_at", "reminder", "channel", "succeeded", "error"]


@admin.register(Journey)
class JourneyAdmin(ReadOnlyAdmin):
    list_display = ["patient", "procedure_name", "clinic", "surgery_at", "status"]
    list_filter = ["clinic", "status"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Reading a journey in the admin is a read of patient data like any other.
        journey = self.get_object(request, object_id)
        if journey is not None:
            audit_journey_view(request, journey, via="admin")
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(JourneyMedication)
class JourneyMedicationAdmin(ReadOnlyAdmin):
    """Staff add and classify medicines on the patient's page; here one may only look."""

    clinic_path = "journey__clinic"
    list_display = ["journey", "medication", "free_text", "added_at", "classified_at"]
    list_select_related = ["journey__patient", "medication"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A patient's medicine list is patient data: reading it is audited.
        item = self.get_object(request, object_id)
        if item is not None:
            audit_record(
                actor=request.user,
                action="medication.view",
                patient=item.journey.patient,
                obj=item,
                request=request,
                via="admin",
            )
        return super().change_view(request, object_id, form_url, extra_context)
