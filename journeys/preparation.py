"""The preparation sheet: a patient's printable instructions for the days before surgery.

A pure function from a journey's facts (journeys/reconcile.py `journey_facts`), like the
reminder planner, and built from the planner's own arithmetic (journeys/planning.py:
`hold_window`, `fasting_cutoff`, `arrival_at`), so the sheet and the reminders always
give the same dates and times. Every time is shown in the clinic's zone.

Every instruction ends by pointing to the care team and its phone number: an anxious
patient reading a printed sheet at home should always know whom to call.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from journeys.clinic_text import clinic_text
from journeys.planning import (
    CLEAR_LIQUIDS,
    CONTINUE,
    PRESCRIBER,
    SOLIDS,
    arrival_at,
    day_label,
    fasting_cutoff,
    hold_window,
    time_label,
)

# Always on the list of what to bring; translated when the sheet is built.
BRING_DEFAULTS = (
    gettext_noop("A photo ID, such as a driver's license or passport."),
    gettext_noop("Your insurance card."),
    gettext_noop("A list of every medicine and supplement you take, with the doses."),
    gettext_noop("Your CPAP machine and mask, if you use one at night."),
)

MEDICINES, EATING, BRING, ARRIVAL = "medicines", "eating", "bring", "arrival"


@dataclass(frozen=True)
class Line:
    """One instruction: an optional bold label and time, the text, then whom to call."""

    text: str
    call: str
    label: str = ""
    when: str = ""

    @property
    def full(self):
        head = f"{self.label}: {self.when}." if self.label and self.when else self.label
        return " ".join(part for part in (head, self.text, self.call) if part)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: tuple[Line, ...]
    empty: str = ""  # shown when there are no lines


@dataclass(frozen=True)
class PreparationSheet:
    ready: bool  # False until the surgery has a date
    call: str
    sections: tuple[Section, ...] = ()
    surgery_when: str = ""
    message: str = ""


def moment_label(instant, zone):
    """ "Saturday 12 December, 18:00" in `zone`, in the active language."""
    return f"{day_label(instant.astimezone(zone).date())}, {time_label(instant, zone)}"


def call_line(facts):
    if facts.clinic_phone:
        return _("Questions? Call your care team at %(phone)s.") % {"phone": facts.clinic_phone}
    return _("Questions? Call your care team.")


def preparation_sheet(facts, *, bring=()):
    """The sheet for a journey. `bring`: extra things to bring, in the patient's words."""
    call = call_line(facts)
    if facts.surgery_at is None:
        return PreparationSheet(
            ready=False,
            call=call,
            message=_(
                "We will make your sheet when your surgery date is set. "
                "Your care team will tell you the date."
            ),
        )
    return PreparationSheet(
        ready=True,
        call=call,
        surgery_when=moment_label(facts.surgery_at, facts.zone),
        sections=(
            _medicines(facts, call),
            _eating(facts, call),
            _bring(facts, call, bring),
            _arrival(facts, call),
        ),
    )


def _join(*parts):
    return " ".join(p.strip() for p in parts if p and p.strip())


def _medicines(facts, call):
    lines = []
    for med in facts.medications:
        lines.append(_medicine_line(med, facts, call))
    return Section(
        key=MEDICINES,
        title=_("Your medicines"),
        lines=tuple(lines),
        empty=_(
            "We have no medicines to stop on your list. If you take any medicine or "
            "supplement, tell your care team. %(call)s"
        )
        % {"call": call},
    )


def _medicine_line(med, facts, call):
    zone = facts.zone
    surgery_day = day_label(facts.surgery_at.astimezone(zone).date())
    name, note = clinic_text(med.name), clinic_text(med.note)
    text = {"name": name, "surgery_day": surgery_day}
    restart = clinic_text(med.restart)
    restart = _("After surgery: %(restart)s") % {"restart": restart} if restart else ""
    if med.policy == PRESCRIBER:
        body = (
            _(
                "Ask your prescriber before stopping %(name)s for your surgery on "
                "%(surgery_day)s. Do not stop it unless they tell you to."
            )
            % text
        )
        return Line(label=name, text=_join(body, note), call=call)
    if med.policy == CONTINUE:
        body = _("Keep taking %(name)s, also on the day of your surgery, unless told otherwise.")
        return Line(label=name, text=_join(body % text, note), call=call)
    window = hold_window(med, facts.surgery_at, zone)
    if window is None:
        return Line(label=name, text=_join(note), call=call)
    if window.cutoff is not None:
        text.update(when=moment_label(window.cutoff, zone))
        when = text["when"]
        body = (
            _(
                "Take your last dose before %(when)s. "
                "Do not take it after that until your care team says so."
            )
            % text
        )
    elif med.hold_days == 0:
        when = ""
        body = _("Do not take %(name)s on the day of your surgery, %(surgery_day)s.") % text
    else:
        text.update(last=day_label(window.last_day), stop=day_label(window.stop_day))
        when = text["last"]
        body = _("Do not take it from %(stop)s until your care team says so.") % text
    if window.known_too_late(med.known_at, zone):
        body = _join(
            body,
            _("We learnt about this medicine late, so please call your care team today."),
        )
    label = _("%(name)s, last dose") % text if med.hold_days != 0 else name
    return Line(label=label, when=when, text=_join(body, restart, note), call=call)


def _fasting_label(rule):
    if rule.kind == SOLIDS:
        return _("Last solid food")
    if rule.kind == CLEAR_LIQUIDS:
        return _("Last clear liquids")
    return _("Stop")


def _eating(facts, call):
    lines = []
    for rule in facts.fasting_rules:
        cutoff = fasting_cutoff(rule, facts)
        local_cutoff = cutoff.astimezone(facts.zone)
        body = _("%(instruction)s after %(time)s on %(day)s.") % {
            "instruction": clinic_text(rule.instruction).rstrip(". "),
            "time": time_label(cutoff, facts.zone),
            "day": day_label(local_cutoff.date()),
        }
        lines.append(
            Line(
                label=_fasting_label(rule),
                when=moment_label(cutoff, facts.zone),
                text=_join(body, clinic_text(rule.details)),
                call=call,
            )
        )
    return Section(
        key=EATING,
        title=_("Eating and drinking"),
        lines=tuple(lines),
        empty=_("Your care team will tell you when to stop eating and drinking. %(call)s")
        % {"call": call},
    )


def _bring(facts, call, extra):
    things = [_(text) for text in BRING_DEFAULTS] + [t for t in extra if t.strip()]
    return Section(
        key=BRING,
        title=_("What to bring"),
        lines=tuple(Line(text=thing, call=call) for thing in things),
    )


def _arrival(facts, call):
    arrive = arrival_at(facts)
    text = {
        "time": time_label(arrive, facts.zone),
        "day": day_label(arrive.astimezone(facts.zone).date()),
        "place": facts.surgery_place or facts.clinic_name,
        "surgery": time_label(facts.surgery_at, facts.zone),
    }
    return Section(
        key=ARRIVAL,
        title=_("When and where to arrive"),
        lines=(
            Line(
                label=_("Arrive"),
                when=moment_label(arrive, facts.zone),
                text=_(
                    "Please arrive at %(time)s on %(day)s at %(place)s. "
                    "Your surgery is planned for %(surgery)s."
                )
                % text,
                call=call,
            ),
        ),
    )
