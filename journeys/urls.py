from django.urls import path

from journeys.views import patient, records, staff

app_name = "journeys"

urlpatterns = [
    # /
    path("", patient.home, name="home"),
    # /journeys/
    path("journeys/<int:journey_id>/", patient.journey_detail, name="journey"),
    path(
        "journeys/<int:journey_id>/items/<int:item_id>/toggle/",
        patient.checklist_toggle,
        name="checklist-toggle",
    ),
    # /record/
    path("record/access-log/", records.my_access_log, name="my-access-log"),
    path("record/export.json", records.my_export, name="my-export"),
    # /staff/
    path("staff/", staff.worklist, name="staff-worklist"),
    path("staff/journeys/<int:journey_id>/", staff.journey_detail, name="staff-journey"),
    path(
        "staff/journeys/<int:journey_id>/stages/<int:stage_id>/",
        staff.stage_action,
        name="stage-action",
    ),
    path(
        "staff/journeys/<int:journey_id>/access-log/",
        records.patient_access_log,
        name="patient-access-log",
    ),
    path("staff/journeys/<int:journey_id>/status/", staff.journey_status, name="journey-status"),
    path("staff/journeys/<int:journey_id>/items/", staff.checklist_add, name="checklist-add"),
    path(
        "staff/journeys/<int:journey_id>/items/<int:item_id>/remove/",
        staff.checklist_remove,
        name="checklist-remove",
    ),
]
