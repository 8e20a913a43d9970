from django.urls import path

from journeys.views import caregivers, coordinator, invitations, patient, records, staff
from journeys.views.calendar import calendar_feed_view, calendar_page
from journeys.views.preparation import preparation
from journeys.views.unsubscribe import unsubscribe

app_name = "journeys"

urlpatterns = [
    # /
    path("", patient.home, name="home"),
    # /journeys/
    path("journeys/<int:journey_id>/", patient.journey_detail, name="journey"),
    path(
        "journeys/<int:journey_id>/reminders/",
        patient.journey_reminders,
        name="journey-reminders",
    ),
    path("journeys/<int:journey_id>/preparation/", preparation, name="preparation"),
    path(
        "journeys/<int:journey_id>/items/<int:item_id>/toggle/",
        patient.checklist_toggle,
        name="checklist-toggle",
    ),
    # /journeys/<id>/caregivers/
    path("journeys/<int:journey_id>/caregivers/", caregivers.manage, name="caregivers"),
    path(
        "journeys/<int:journey_id>/caregivers/<int:grant_id>/revoke/",
        caregivers.revoke,
        name="caregiver-revoke",
    ),
    # /journeys/<id>/calendar/: appointments, and the patient's private feed link
    path("journeys/<int:journey_id>/calendar/", calendar_page, name="calendar"),
    # /calendar/<token>.ics: the feed a phone subscribes to (no sign-in; the token is the key)
    path("calendar/<str:token>.ics", calendar_feed_view, name="calendar-feed"),
    # /invite/
    path("invite/<str:token>/", invitations.accept, name="invitation-accept"),
    # /unsubscribe/: the one-click link in optional reminder emails (no sign-in)
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    # /coordinator/
    path("coordinator/enrol/", coordinator.enrol, name="coordinator-enrol"),
    path(
        "coordinator/journeys/<int:journey_id>/invitation/",
        coordinator.invitation_resend,
        name="invitation-resend",
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
    # /staff/journeys/<id>/medications/: which entry is the POST's `item` field, so
    # every pattern here still takes only the journey's id.
    path(
        "staff/journeys/<int:journey_id>/medications/",
        staff.medication_add,
        name="medication-add",
    ),
    path(
        "staff/journeys/<int:journey_id>/medications/classify/",
        staff.medication_classify,
        name="medication-classify",
    ),
    path(
        "staff/journeys/<int:journey_id>/reminders/resend/",
        staff.reminder_resend_view,
        name="reminder-resend",
    ),
    path(
        "staff/journeys/<int:journey_id>/medications/remove/",
        staff.medication_remove,
        name="medication-remove",
    ),
]
