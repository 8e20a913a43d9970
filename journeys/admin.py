from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from journeys.audit import audit_record
from journeys.models import (
    AuditEvent,
    ChecklistItemTemplate,
    Clinic,
    Delivery,
    Journey,
    Location,
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
            audit_record(
                actor=request.user,
                action="journey.view",
                patient=journey.patient,
                obj=journey,
                request=request,
                via="admin",
            )
        return super().change_view(request, object_id, form_url, extra_context)
