"""The care team's page of one journey (journeys/views/staff.py `journey_detail`), loaded
as plain rows in a fixed number of queries."""

from collections import namedtuple
from dataclasses import dataclass

from journeys.loading import JourneyPage
from journeys.models import (
    SURGERY_DAY_STEPS,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Channel,
    ChecklistItem,
    Owner,
    PreopResult,
    PreopTestType,
    Reminder,
    ReminderStatus,
    Stage,
    StageStatus,
)
from journeys.page_text import PageDates, choice_labels, url_format

# What the care team's page reads of a stage, an event in its history, an item, an
# appointment, a required test and a reminder: plain tuples with their labels, dates and
# links in words, as the page holds a hundred of them and model instances cost more to
# build than the queries cost to run. Stages, items, appointments and tests keep the
# names next_step and readiness.missing_tests read.
_Stage = namedtuple(
    "_Stage",
    "pk step title status status_label blocked_reason started completed version "
    "is_surgery_day action_url history",
)
_Event = namedtuple("_Event", "when by before after note")
_Item = namedtuple(
    "_Item", "pk stage_id text owner due_date due is_done done_by toggle_url remove_url"
)
_Appointment = namedtuple(
    "_Appointment",
    "pk kind test_type_id status result starts_at ends_at when title location "
    "status_label result_label result_note",
)
_Test = namedtuple("_Test", "pk name validity_days")
_Reminder = namedtuple(
    "_Reminder", "pk due subject body urgent channel status status_label sent attempts last_error"
)


def _user(relation):
    return f"{relation}__full_name", f"{relation}__email"


# The rows each query reads, built once: resolving the fields and joins of a queryset
# cost about as much as running it. Each page filters them to its journey (a clone).
STAGE_ROWS = Stage.objects.order_by("position", "events__at", "events__id").values_list(
    "pk",
    "step",
    "title",
    "status",
    "blocked_reason",
    "started_at",
    "completed_at",
    "version",
    "events__at",
    "events__from_status",
    "events__to_status",
    "events__note",
    *_user("events__by"),
)
ITEM_ROWS = ChecklistItem.objects.order_by("due_date", "id").values_list(
    "pk", "stage_id", "text", "owner", "due_date", "done_at", *_user("done_by")
)
APPOINTMENT_ROWS = Appointment.objects.order_by("starts_at").values_list(
    "pk",
    "kind",
    "test_type_id",
    "status",
    "result",
    "starts_at",
    "duration",
    "test_type__name",
    "location__name",
    "result_note",
    named=True,
)
TEST_ROWS = PreopTestType.objects.values_list("pk", "name", "validity_days")  # By name.
REMINDER_ROWS = Reminder.objects.order_by("due_at", "id").values_list(
    "pk",
    "due_at",
    "subject",
    "body",
    "urgent",
    "channel",
    "status",
    "sent_at",
    "attempts",
    "last_error",
    named=True,
)


@dataclass
class CareTeamPage(JourneyPage):
    """A journey as the care team's page shows it: each stage with its history, the
    required pre-op tests and the reminders planned for the patient."""

    tests: list
    reminders: list


def load_care_team_page(journey):
    """Queries: stages with their history, checklist items, appointments, required
    tests, reminders."""
    dates = PageDates()
    return CareTeamPage(
        journey=journey,
        stages=_stages(journey, dates),
        items=_items(journey, dates),
        appointments=_appointments(journey, dates),
        tests=_required_tests(journey),
        reminders=_reminders(journey, dates),
    )


def _stages(journey, dates):
    """The stages in order, each with its history oldest first, in one query: a row for
    each event of a stage, or a single row with no event for a stage without history."""
    statuses = choice_labels(StageStatus.choices)
    action = url_format("journeys:stage-action", 2)
    rows = STAGE_ROWS.filter(journey=journey)
    stages = {}
    for pk, step, title, status, reason, started, completed, version, *event in rows:
        if pk not in stages:
            stages[pk] = _Stage(
                pk,
                step,
                title,
                status,
                statuses[status],
                reason,
                dates(started, "D j M H:i"),
                dates(completed, "D j M H:i"),
                version,
                step in SURGERY_DAY_STEPS,  # As Stage.is_surgery_day.
                action.format(journey.pk, pk),
                history=[],
            )
        at, before, after, note, name, email = event
        if at is not None:
            stages[pk].history.append(
                _Event(
                    dates(at, "j M Y H:i"),
                    _user_name(name, email),
                    statuses[before],
                    statuses[after],
                    note,
                )
            )
    return list(stages.values())


def _items(journey, dates):
    owners = choice_labels(Owner.choices)
    toggle = url_format("journeys:checklist-toggle", 2)
    remove = url_format("journeys:checklist-remove", 2)
    rows = ITEM_ROWS.filter(journey=journey)
    return [
        _Item(
            pk,
            stage_id,
            text,
            owners[owner],
            due_date,
            dates(due_date, "j M"),
            done_at is not None,
            _user_name(name, email),
            toggle.format(journey.pk, pk),
            remove.format(journey.pk, pk),
        )
        for pk, stage_id, text, owner, due_date, done_at, name, email in rows
    ]


def _appointments(journey, dates):
    kinds = choice_labels(AppointmentKind.choices)
    statuses = choice_labels(AppointmentStatus.choices)
    results = choice_labels(PreopResult.choices)
    rows = APPOINTMENT_ROWS.filter(journey=journey)
    return [
        _Appointment(
            a.pk,
            a.kind,
            a.test_type_id,
            a.status,
            a.result,
            a.starts_at,
            a.starts_at + a.duration,
            dates(a.starts_at, "D j M Y H:i"),
            # As Appointment.title: the test's name, or what kind of appointment it is.
            a.test_type__name if a.test_type_id else kinds[a.kind],
            a.location__name,
            statuses[a.status],
            results[a.result],
            a.result_note,
        )
        for a in rows
    ]


def _required_tests(journey):
    return [_Test(*test) for test in TEST_ROWS.filter(journeys=journey)]


def _reminders(journey, dates):
    channels, statuses = choice_labels(Channel.choices), choice_labels(ReminderStatus.choices)
    rows = REMINDER_ROWS.filter(journey=journey)
    return [
        _Reminder(
            r.pk,
            dates(r.due_at, "D j M Y H:i"),
            r.subject,
            r.body,
            r.urgent,
            channels[r.channel],
            r.status,
            statuses[r.status],
            dates(r.sent_at, "D j M H:i"),
            r.attempts,
            r.last_error,
        )
        for r in rows
    ]


def _user_name(full_name, email):
    # As User.__str__; None for nobody (the system moved the stage, nobody did the item).
    return (full_name or email) if email is not None else None
