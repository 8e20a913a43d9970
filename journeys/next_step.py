"""The patient's next step: derived from the journey every time, never stored."""

from dataclasses import dataclass, field

from django.utils import timezone

from journeys.models import StageStatus


@dataclass
class NextStep:
    stage: object | None
    overdue: list = field(default_factory=list)
    open_items: list = field(default_factory=list)
    next_appointment: object | None = None

    @property
    def finished(self):
        return self.stage is None


def next_step(journey, *, stages, items, appointments, today=None):
    """From already-loaded rows: the first unfinished stage, its open items, next appointment.

    Open items are ordered overdue first, then by due date (undated last).
    """
    now = timezone.now()
    today = today or now.astimezone(journey.clinic.zone).date()
    current = next(
        (s for s in stages if s.status not in (StageStatus.DONE, StageStatus.SKIPPED)), None
    )
    open_items = sorted(
        (i for i in items if current is not None and i.stage_id == current.pk and not i.is_done),
        key=lambda i: (i.due_date is None, i.due_date or today, i.pk),
    )
    overdue = [i for i in open_items if i.due_date is not None and i.due_date < today]
    upcoming = [a for a in appointments if a.ends_at >= now and a.status == "scheduled"]
    return NextStep(
        stage=current,
        overdue=overdue,
        open_items=open_items,
        next_appointment=min(upcoming, key=lambda a: a.starts_at, default=None),
    )
