"""The surgery-day board: each of the day's patients, their live step, one tap to move on.

The board only reads the stages; moving on goes through journeys/transitions.py, like
every other change of a step. A form carries the step it saw as live: when someone
else has moved the patient on since, the tap is refused rather than skipping a step.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from journeys import transitions
from journeys.agenda import day_bounds
from journeys.models import Journey, JourneyStatus, Stage, StageStatus, Step

# What the waiting room follows on the day, in order.
BOARD_STEPS = (
    Step.ANESTHESIA,
    Step.INCISION,
    Step.BONE_REMOVAL,
    Step.FUSION,
    Step.CLOSURE,
    Step.RECOVERY,
)
NOT_STARTED = "not_started"


@dataclass
class BoardRow:
    journey: Journey
    stages: list

    @property
    def live(self):
        """The step under way (or on hold); None before anesthesia starts."""
        under_way = [
            s for s in self.stages if s.status in (StageStatus.ACTIVE, StageStatus.BLOCKED)
        ]
        if under_way:
            return under_way[-1]
        finished = [s for s in self.stages if s.is_finished]
        return finished[-1] if finished else None

    @property
    def live_step(self):
        live = self.live
        return live.step if live is not None else NOT_STARTED

    @property
    def next_stage(self):
        """The step one tap starts, or None when there is nothing to start from here."""
        live = self.live
        if live is not None and live.status != StageStatus.ACTIVE:
            return None  # On hold or all done: the journey page handles it.
        if live is not None and live.step == Step.RECOVERY:
            return None
        after = live.position if live is not None else 0
        return next(
            (s for s in self.stages if s.position > after and s.status == StageStatus.PENDING),
            None,
        )


def _stages():
    return Prefetch(
        "stages",
        queryset=Stage.objects.filter(step__in=BOARD_STEPS).order_by("position"),
        to_attr="board_stages",
    )


def surgery_board(user, day):
    """The day's surgeries the user may see, by location then time: two queries."""
    zone = user.clinic.zone
    start, end = day_bounds(day, 1, zone)
    journeys = (
        Journey.objects.visible_to(user)
        .filter(surgery_at__gte=start, surgery_at__lt=end)
        .exclude(status=JourneyStatus.CANCELLED)
        .select_related("patient", "surgeon", "surgery_location")
        .prefetch_related(_stages())
        .order_by("surgery_location__name", "surgery_at", "id")
    )
    return [BoardRow(journey=j, stages=j.board_stages) for j in journeys]


def board_row(journey):
    stages = list(Stage.objects.filter(journey=journey, step__in=BOARD_STEPS).order_by("position"))
    return BoardRow(journey=journey, stages=stages)


def surgery_step_advance(*, journey, expected_step, by, request=None):
    """Move the patient on from `expected_step` to the next step; refuse if it is stale.

    Before anesthesia, this starts anesthesia; during a step, it completes that step,
    and transitions.py starts the next one at the same moment.
    """
    row = board_row(journey)
    if row.live_step != expected_step:
        now = row.live.title if row.live is not None else _("not started")
        raise ValidationError(
            _(
                "%(patient)s has moved on to “%(step)s” since you opened this board. "
                "Nothing was changed; please check and tap again."
            )
            % {"patient": journey.patient.full_name, "step": now},
            code="stale",
        )
    following = row.next_stage
    if following is None:
        raise ValidationError(
            _("There is no next step to start for %(patient)s here.")
            % {"patient": journey.patient.full_name},
            code="nothing_next",
        )
    live = row.live
    if live is None:
        transitions.stage_start(
            stage=following, by=by, expected_version=following.version, request=request
        )
    else:
        transitions.stage_complete(
            stage=live, by=by, expected_version=live.version, request=request
        )
    return following
