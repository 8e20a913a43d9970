"""Surgery day for the family: the step under way, in plain words, and when each began.

Derived from the stages already loaded for a page, never stored. Staff move the steps
through journeys/transitions.py; this only reads them.
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.models import StageStatus, Step

# Incision, bone removal and fusion mean nothing to a family in the waiting room:
# they read "surgery in progress" until closing starts.
OPERATING = (Step.INCISION, Step.BONE_REMOVAL, Step.FUSION)
PHASES = {
    Step.ANESTHESIA: _("Anesthesia"),
    **dict.fromkeys(OPERATING, _("Surgery in progress")),
    Step.CLOSURE: _("Closing"),
    Step.RECOVERY: _("In recovery"),
}
UNDER_WAY = (StageStatus.ACTIVE, StageStatus.BLOCKED)


@dataclass
class SurgeryProgress:
    phase: str | None = None  # None until the first surgery-day step starts
    events: list = field(default_factory=list)  # (words, aware datetime), in order
    under_way: bool = False  # a surgery-day step is active
    show: bool = False  # on the day of surgery, or while it runs past midnight

    @property
    def live(self):
        """Refresh on its own from the morning of surgery until recovery begins."""
        return self.show and self.phase != PHASES[Step.RECOVERY]


def surgery_progress(journey, stages, *, now=None):
    """The surgery-day panel for `journey`, from its stages in position order."""
    by_step = {s.step: s for s in stages}
    begun = any(s.is_surgery_day and s.started_at is not None for s in stages)
    current = next(
        (
            s
            for s in stages
            if s.step in PHASES and s.status in UNDER_WAY and (s.is_surgery_day or begun)
        ),
        None,
    )
    under_way = current is not None and current.is_surgery_day
    return SurgeryProgress(
        phase=PHASES[current.step] if current is not None else None,
        events=_events(by_step) if begun else [],
        under_way=under_way,
        show=under_way or _is_surgery_day(journey, now or timezone.now()),
    )


def _events(by_step):
    operating = [by_step[s].started_at for s in OPERATING if s in by_step]
    events = [
        (_("Anesthesia started"), _started(by_step, Step.ANESTHESIA)),
        (_("Surgery started"), min((at for at in operating if at), default=None)),
        (_("Closing started"), _started(by_step, Step.CLOSURE)),
        (_("In recovery since"), _started(by_step, Step.RECOVERY)),
    ]
    return [(words, at) for words, at in events if at is not None]


def _started(by_step, step):
    stage = by_step.get(step)
    return stage.started_at if stage is not None else None


def _is_surgery_day(journey, now):
    if journey.surgery_at is None:
        return False
    zone = journey.clinic.zone
    return journey.surgery_at.astimezone(zone).date() == now.astimezone(zone).date()
