from django.urls import path

from journeys.views import (
    agenda,
    board,
    caregivers,
    coordinator,
    invitations,
    patient,
    records,
    scheduling,
    staff,
)
from journeys.views.calendar import calendar_feed_view, calendar_page
from journeys.views.language import language_set
from journeys.views.preferences import preferences
from journeys.views.preparation import preparation
from journeys.views.surgery_day import surgery_live
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
    # The surgery-day panel alone, polled by htmx while the surgery is under way.
    path("journeys/<int:journey_id>/surgery-live/", surgery_live, name="surgery-live"),
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
    path("coordinator/", agenda.worklist, name="coordinator-worklist"),
    path("coordinator/calendar/", agenda.calendar, name="coordinator-calendar"),
    path("coordinator/enrol/", coordinator.enrol, name="coordinator-enrol"),
    # /coordinator/journeys/<id>/schedule/: one patient's bookings
    path("coordinator/journeys/<int:journey_id>/schedule/", scheduling.schedule, name="schedule"),
    path(
        "coordinator/journeys/<int:journey_id>/schedule/surgery/",
        scheduling.surgery_set,
        name="schedule-surgery",
    ),
    path(
        "coordinator/journeys/<int:journey_id>/schedule/test/",
        scheduling.test_book,
        name="schedule-test",
    ),
    path(
        "coordinator/journeys/<int:journey_id>/schedule/therapy/",
        scheduling.therapy_book,
        name="schedule-therapy",
    ),
    path(
        "coordinator/journeys/<int:journey_id>/schedule/follow-up/",
        scheduling.follow_up_book,
        name="schedule-follow-up",
    ),
    path(
        "coordinator/journeys/<int:journey_id>/appointments/<int:appointment_id>/",
        scheduling.appointment_detail,
        name="appointment",
    ),
    path(
        "coordinator/journeys/<int:journey_id>/appointments/<int:appointment_id>/reschedule/",
        scheduling.appointment_reschedule,
        name="appointment-reschedule",
    ),
    path(
        "coordinator/journeys/<int:journey_id>/appointments/<int:appointment_id>/cancel/",
        scheduling.appointment_cancel,
        name="appointment-cancel",
    ),
    path(
        "coordinator/journeys/<int:journey_id>/appointments/<int:appointment_id>/cancel-series/",
        scheduling.series_cancel,
        name="series-cancel",
    ),
    path(
        "coordinator/journeys/<int:journey_id>/appointments/<int:appointment_id>/result/",
        scheduling.result_record,
        name="appointment-result",
    ),
    path(
        "coordinator/journeys/<int:journey_id>/invitation/",
        coordinator.invitation_resend,
        name="invitation-resend",
    ),
    # /language/: the switch in every page's header (signed in or not)
    path("language/", language_set, name="language-set"),
    # /preferences/: a patient's reminder channel, quiet hours and language
    path("preferences/", preferences, name="preferences"),
    # /record/
    path("record/access-log/", records.my_access_log, name="my-access-log"),
    path("record/export.json", records.my_export, name="my-export"),
    # /staff/
    path("staff/", staff.worklist, name="staff-worklist"),
    # CSV downloads: the filters and the day come in the query string.
    path("staff/patients.csv", staff.worklist_export, name="worklist-export"),
    path("staff/schedule.csv", staff.schedule_export, name="schedule-export"),
    # /staff/surgery-day/: the theatre board, one tap per step
    path("staff/surgery-day/", board.board, name="surgery-day"),
    path(
        "staff/surgery-day/journeys/<int:journey_id>/advance/",
        board.board_advance,
        name="surgery-day-advance",
    ),
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
    path("staff/journeys/<int:journey_id>/notes/", staff.note_add_view, name="note-add"),
    path("staff/journeys/<int:journey_id>/items/", staff.checklist_add, name="checklist-add"),
    path(
        "staff/journeys/<int:journey_id>/items/<int:item_id>/remove/",
        staff.checklist_remove,
        name="checklist-remove",
    ),
    # /staff/journeys/<id>/medications/: which entry is the POST's `item` field, so
    # every pattern here still takes only the journey's id.
    path(
        "staff/journeys/<int:journey_id>/medicines/",
        staff.medications,
        name="staff-medications",
    ),
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
