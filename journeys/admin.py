from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

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


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "phone"]
    inlines = [LocationInline]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
class PreopTestTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "validity_days", "needs_fasting"]
    list_filter = ["clinic"]


class ProcedureStepInline(admin.StackedInline):
    model = ProcedureStep
    extra = 0
    show_change_link = True


@admin.register(ProcedureTemplate)
class ProcedureTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "is_active"]
    list_filter = ["clinic", "is_active"]
    filter_horizontal = ["required_tests"]
    inlines = [ProcedureStepInline]


class ChecklistItemTemplateInline(admin.TabularInline):
    model = ChecklistItemTemplate
    extra = 1


@admin.register(ProcedureStep)
class ProcedureStepAdmin(admin.ModelAdmin):
    list_display = ["title", "procedure", "step"]
    list_filter = ["procedure"]
    inlines = [ChecklistItemTemplateInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is append-only: the admin may look, never edit or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "patient", "ip_address"]
    list_filter = ["action"]


@admin.register(StageEvent)
class StageEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "stage", "from_status", "to_status", "by"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["due_at", "journey", "subject", "channel", "status", "attempts"]
    list_filter = ["status", "channel"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "reminder", "channel", "succeeded", "error"]


@admin.register(Journey)
class JourneyAdmin(ReadOnlyAdmin):
    list_display = ["patient", "procedure_name", "clinic", "surgery_at", "status"]
    list_filter = ["clinic", "status"]
