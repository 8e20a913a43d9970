"""Loading a whole journey for a page in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.db.models import DateTimeField, ExpressionWrapper, F, Prefetch
from django.utils import timezone

from journeys.models import (
    Appointment,
    AppointmentStatus,
    ChecklistItem,
    Stage,
    StageEvent,
    StageStatus,
)
from journeys.next_step import next_step
from journeys.notes import shared_notes


@dataclass
class JourneyPage:
    journey: object
    stages: list
    items: list
    appointments: list

    @cached_property
    def _items_by_stage(self):
        # One pass over the items for the whole page, not one per stage.
        by_stage = defaultdict(list)
        for item in self.items:
            by_stage[item.stage_id].append(item)
        return by_stage

    def items_for(self, stage):
        return self._items_by_stage.get(stage.pk, [])

    @cached_property
    def next(self):
        # Asked for by the view and again by stage_rows: computed once per page.
        return next_step(
            self.journey, stages=self.stages, items=self.items, appointments=self.appointments
        )

    def stage_rows(self):
        current = self.next.stage
        return [
            {
                "stage": s,
                "items": self.items_for(s),
                "is_current": current is not None and s.pk == current.pk,
            }
            for s in self.stages
        ]

    @cached_property
    def shared_notes(self):
        """The care team's notes shown to the patient: one query, only if a page asks."""
        return shared_notes(self.journey)

    def timeline_rows(self):
        """stage_rows, with who in the care team completed each (needs with_history)."""
        return [{**row, "completed_by": _completed_by(row["stage"])} for row in self.stage_rows()]


def _completed_by(stage):
    # The last move to done: a step reopened and finished again names who finished it.
    if stage.status != StageStatus.DONE:
        return None
    done = [e for e in stage.events.all() if e.to_status == StageStatus.DONE]
    return done[-1].by if done else None


# Built once: resolving a queryset's joins and expressions cost about as much as
# running it. Each page filters them to its journey (a clone).
STAGES = Stage.objects.order_by("position")
STAGES_WITH_HISTORY = STAGES.prefetch_related(
    Prefetch("events", queryset=StageEvent.objects.select_related("by").order_by("at", "id"))
)
# Who ticked an item is the care team's page's (journeys/care_team_page.py): a
# patient's pages show only that it is done, and a user is a costly row to build.
ITEMS = ChecklistItem.objects.order_by("due_date", "id")
APPOINTMENTS = Appointment.objects.select_related("location", "test_type").order_by("starts_at")
# next_step's `upcoming`, in SQL: scheduled, and not over at the time given.
SCHEDULED_APPOINTMENTS = APPOINTMENTS.alias(
    ends_at=ExpressionWrapper(F("starts_at") + F("duration"), output_field=DateTimeField())
).filter(status=AppointmentStatus.SCHEDULED)


def load_journey_page(journey, *, with_history=False, next_appointment_only=False):
    """Queries: stages (+1 for their history when asked), checklist items, appointments.

    With next_appointment_only, `appointments` holds at most the one the next step
    shows (journeys/next_step.py): a page that lists none need not build them all.
    """
    stages = STAGES_WITH_HISTORY if with_history else STAGES
    if next_appointment_only:
        upcoming = SCHEDULED_APPOINTMENTS.filter(ends_at__gte=timezone.now())
        appointments = upcoming.filter(journey=journey)[:1]
    else:
        appointments = APPOINTMENTS.filter(journey=journey)
    return JourneyPage(
        journey=journey,
        stages=list(stages.filter(journey=journey)),
        items=list(ITEMS.filter(journey=journey)),
        appointments=list(appointments),
    )
