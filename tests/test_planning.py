"""The planner: journey facts in, planned reminders out. No database, no clock."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from journeys.planning import (
    AppointmentFact,
    FastingFact,
    ItemFact,
    JourneyFacts,
    MedicationFact,
    StageFact,
    plan_reminders,
)

LA = ZoneInfo("America/Los_Angeles")
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)  # when the medicines became known
SURGERY = datetime(2027, 5, 17, 7, 30, tzinfo=LA)  # a Monday, far from any clock change
BEFORE = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)  # "now" for most tests

SOLIDS = FastingFact(1, "solids", "arrival", 8, "No food, milk or chewing gum")
CLEAR = FastingFact(2, "clear_liquids", "arrival", 2, "Nothing to drink, not even water,")


def facts(**changes):
    base = JourneyFacts(
        journey_id=1,
        zone=LA,
        clinic_name="Test Spine Clinic",
        clinic_phone="(555) 123-4567",
        channel="email",
        active=True,
        surgery_at=SURGERY,
        surgery_place="Main hospital",
    )
    return replace(base, **changes)


def med(id=10, name="Aspirin", policy="auto", known_at=LONG_AGO, **rule):
    return MedicationFact(id=id, name=name, policy=policy, known_at=known_at, **rule)


def plan(journey_facts, now=BEFORE):
    return {p.key: p for p in plan_reminders(journey_facts, now=now)}


def at(year, month, day, hour, minute=0, zone=LA):
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_keys_name_no_time_so_a_moved_surgery_moves_the_same_reminders():
    journey = facts(fasting_rules=(SOLIDS, CLEAR), medications=(med(hold_days=7, heads_up_days=3),))

    first = plan(journey)
    moved = plan(replace(journey, surgery_at=SURGERY + timedelta(days=9)))

    keys = {"surgery:arrival", "fasting:solids", "fasting:clear-liquids"}
    assert set(first) == set(moved) == keys | {"med:10:heads-up", "med:10:stop"}
    assert all(moved[key].due_at == first[key].due_at + timedelta(days=9) for key in first)


def test_the_existing_keys_still_work():
    journey = facts(
        enrolled_at=BEFORE,
        completed_stages=(StageFact(3, "Consultation", BEFORE),),
        open_patient_items=(ItemFact(4, "Arrange a ride home", date(2027, 5, 10)),),
        appointments=(AppointmentFact(5, "ECG", at(2027, 5, 3, 8), "Lab", kind="preop_test"),),
    )

    planned = plan(journey)

    assert {"journey:welcome", "stage:3:done", "checklist:4:due"} <= set(planned)
    assert {"appointment:5:day-before", "surgery:arrival"} <= set(planned)
    assert planned["checklist:4:due"].due_at == at(2027, 5, 10, 9)


def test_a_day_hold_stops_the_morning_of_the_first_day_without_the_drug():
    planned = plan(facts(medications=(med(hold_days=7, heads_up_days=3, restart="Ask first."),)))

    stop, heads_up = planned["med:10:stop"], planned["med:10:heads-up"]
    assert stop.due_at == at(2027, 5, 10, 7)  # Monday: the first day without it
    assert stop.urgent
    assert stop.body == (
        "Your last dose of Aspirin was on Sunday 9 May. Do not take it from today, "
        "Monday 10 May, until your care team says so. After surgery: Ask first."
    )
    assert heads_up.due_at == at(2027, 5, 7, 9)  # three days earlier, 09:00
    assert not heads_up.urgent
    assert heads_up.body == (
        "Take your last dose of Aspirin on Sunday 9 May. "
        "Do not take it from Monday 10 May until your care team says so."
    )


def test_a_day_of_surgery_hold_is_announced_the_evening_before():
    planned = plan(facts(medications=(med(name="Metformin", hold_days=0),)))

    assert set(planned) == {"surgery:arrival", "med:10:stop"}
    stop = planned["med:10:stop"]
    assert stop.due_at == at(2027, 5, 16, 18)
    assert stop.body == "Do not take Metformin on the day of your surgery, Monday 17 May."


def test_an_hour_hold_warns_two_hours_before_the_last_allowed_dose():
    enoxaparin = med(name="Enoxaparin", hold_hours=12, heads_up_days=1)

    planned = plan(facts(medications=(enoxaparin,)))

    stop = planned["med:10:stop"]
    assert stop.due_at == at(2027, 5, 16, 17, 30)  # last dose before 19:30 Sunday
    assert "before 19:30 on Sunday 16 May" in stop.body
    assert planned["med:10:heads-up"].due_at == at(2027, 5, 15, 9)


def test_prescriber_decides_plans_no_stop_only_ask_your_prescriber():
    warfarin = med(name="Warfarin", policy="prescriber", hold_days=5)

    planned = plan(facts(medications=(warfarin,)))

    assert "med:10:stop" not in planned and "med:10:heads-up" not in planned
    ask = planned["med:10:ask-prescriber"]
    assert ask.subject == "Ask your prescriber before stopping Warfarin"
    assert ask.body.startswith("Ask your prescriber before stopping Warfarin for your surgery")
    assert ask.due_at == at(2027, 5, 3, 9)  # two weeks before


def test_a_medicine_the_patient_keeps_taking_plans_nothing():
    planned = plan(facts(medications=(med(name="Celecoxib", policy="continue"),)))

    assert not [key for key in planned if key.startswith("med:")]


def test_a_medicine_learnt_after_its_stop_day_says_stop_now_and_call():
    learnt = at(2027, 5, 12, 15)  # two days after the stop day
    late = med(hold_days=7, heads_up_days=3, known_at=learnt)

    planned = plan(facts(medications=(late,)), now=learnt)

    assert "med:10:heads-up" not in planned
    stop = planned["med:10:stop"]
    assert stop.due_at == learnt
    assert stop.subject == "Stop Aspirin now"
    assert "It should have stopped on Monday 10 May, so please call your care team today" in (
        stop.body
    )


def test_a_medicine_learnt_after_the_heads_up_time_gets_its_heads_up_at_once():
    learnt = at(2027, 5, 8, 11)  # after Friday's heads-up, before Monday's stop

    planned = plan(facts(medications=(med(hold_days=7, heads_up_days=3, known_at=learnt),)))

    assert planned["med:10:heads-up"].due_at == learnt
    assert planned["med:10:stop"].due_at == at(2027, 5, 10, 7)


def test_solids_are_announced_the_evening_before_with_the_cut_off_time():
    solids = plan(facts(fasting_rules=(SOLIDS,)))["fasting:solids"]

    assert solids.due_at == at(2027, 5, 16, 18)
    assert solids.body == "No food, milk or chewing gum after 21:30 on Sunday 16 May."
    assert solids.urgent


def test_clear_liquids_come_the_morning_of_when_the_cut_off_allows():
    afternoon = facts(fasting_rules=(CLEAR,), surgery_at=at(2027, 5, 17, 13))

    clear = plan(afternoon)["fasting:clear-liquids"]

    assert clear.due_at == at(2027, 5, 17, 8)  # an hour before the 09:00 cut-off
    assert "after 09:00 on Monday 17 May" in clear.body


def test_clear_liquids_before_dawn_are_announced_the_evening_before():
    clear = plan(facts(fasting_rules=(CLEAR,)))["fasting:clear-liquids"]

    assert clear.due_at == at(2027, 5, 16, 18)
    assert "after 03:30 on Monday 17 May" in clear.body


def test_a_clinic_can_say_nothing_after_midnight_instead():
    midnight = FastingFact(7, "custom", "midnight", 0, "Nothing to eat or drink")

    planned = plan(facts(fasting_rules=(midnight,)))

    rule = planned["fasting:custom:7"]
    assert rule.due_at == at(2027, 5, 16, 18)
    assert rule.body == "Nothing to eat or drink after 00:00 on Monday 17 May."


def test_a_fasting_reminder_is_never_planned_after_its_cut_off():
    after_cut_off = at(2027, 5, 16, 22)  # within the stale window, but past 21:30

    planned = plan(facts(fasting_rules=(SOLIDS, CLEAR)), now=after_cut_off)

    assert "fasting:solids" not in planned
    assert "fasting:clear-liquids" in planned


def test_a_pre_op_test_is_announced_the_day_before_with_its_preparation():
    test = AppointmentFact(
        5,
        "Blood count (CBC)",
        at(2027, 5, 3, 8),
        "Lab",
        prep="Bring your medication list.",
        kind="preop_test",
        needs_fasting=True,
    )

    reminder = plan(facts(appointments=(test,)))["appointment:5:day-before"]

    assert reminder.due_at == at(2027, 5, 2, 10)
    assert reminder.body == (
        "Blood count (CBC) tomorrow at 08:00, Lab. You need to fast before this test. "
        "Before it: Bring your medication list."
    )


def test_a_therapy_session_is_reminded_24_and_2_hours_before():
    session = AppointmentFact(6, "Physical therapy", at(2027, 7, 6, 10), "Gym", kind="therapy")

    planned = plan(facts(appointments=(session,)))

    assert "appointment:6:day-before" not in planned
    assert planned["therapy:6:first"].due_at == at(2027, 7, 5, 10)
    assert not planned["therapy:6:first"].urgent
    assert planned["therapy:6:second"].due_at == at(2027, 7, 6, 8)


def test_the_clinic_sets_the_therapy_lead_times_and_zero_turns_one_off():
    session = AppointmentFact(6, "Physical therapy", at(2027, 7, 6, 10), "Gym", kind="therapy")
    leads = (timedelta(hours=48), timedelta(0))

    planned = plan(facts(appointments=(session,), therapy_leads=leads))

    assert planned["therapy:6:first"].due_at == at(2027, 7, 4, 10)
    assert "therapy:6:second" not in planned


def test_switching_off_the_first_therapy_reminder_keeps_the_second_as_it_was():
    session = AppointmentFact(6, "Physical therapy", at(2027, 7, 6, 10), "Gym", kind="therapy")
    leads = (timedelta(0), timedelta(hours=2))

    planned = plan(facts(appointments=(session,), therapy_leads=leads))

    assert set(planned) == {"surgery:arrival", "therapy:6:second"}
    assert planned["therapy:6:second"].urgent


def test_quiet_hours_never_push_a_reminder_past_what_it_announces():
    session = AppointmentFact(6, "Physical therapy", at(2027, 7, 6, 7), "Gym", kind="therapy")
    leads = (timedelta(hours=3), timedelta(0))  # 04:00, inside the quiet hours

    planned = plan(
        facts(
            appointments=(session,),
            therapy_leads=leads,
            quiet_start=time(22),
            quiet_end=time(8),
        )
    )

    assert "therapy:6:first" not in planned


def test_the_arrival_reminder_gives_the_arrival_time_the_day_before():
    planned = plan(facts(arrival_lead=timedelta(minutes=90)))

    arrival = planned["surgery:arrival"]
    assert arrival.due_at == at(2027, 5, 16, 17)
    assert arrival.body == (
        "Your surgery is tomorrow, Monday 17 May. Please arrive at 06:00 at Main hospital."
    )
    assert arrival.urgent


def test_an_inactive_journey_plans_nothing():
    assert plan_reminders(facts(active=False, fasting_rules=(SOLIDS,)), now=BEFORE) == []


def test_quiet_hours_hold_back_only_non_urgent_reminders():
    journey = facts(
        medications=(med(hold_days=7, heads_up_days=3),),
        quiet_start=time(21, 0),
        quiet_end=time(9, 30),
    )

    planned = plan(journey)

    assert planned["med:10:heads-up"].due_at == at(2027, 5, 7, 9, 30)  # was 09:00
    assert planned["med:10:stop"].due_at == at(2027, 5, 10, 7)  # urgent: unmoved


def test_a_reminder_late_in_the_evening_waits_for_the_morning():
    evening = at(2027, 5, 3, 22, 15)

    planned = plan(facts(enrolled_at=evening, quiet_start=time(21), quiet_end=time(8)))

    assert planned["journey:welcome"].due_at == at(2027, 5, 4, 8)


def test_quiet_hours_within_one_day_end_the_same_day():
    item = ItemFact(4, "Arrange a ride home", date(2027, 5, 10))

    planned = plan(facts(open_patient_items=(item,), quiet_start=time(8), quiet_end=time(10)))

    assert planned["checklist:4:due"].due_at == at(2027, 5, 10, 10)


# Daylight-saving time. Wall-clock reminders ("09:00", "the evening before at 18:00")
# keep their local time across a change; offsets before an instant ("36 hours before
# surgery") are real elapsed hours, so their local time shifts by the hour the clocks
# moved. Ginkgo's 36-hour hold is the seeded rule that crosses the change.
GINKGO = med(id=11, name="Ginkgo", hold_hours=36, heads_up_days=2)


def test_spring_forward_monday_keeps_wall_clock_times_and_real_hours():
    # Clocks went forward at 02:00 on Sunday 14 March 2027.
    surgery = at(2027, 3, 15, 7, 30)
    journey = facts(
        surgery_at=surgery,
        fasting_rules=(SOLIDS,),
        medications=(med(hold_days=7, heads_up_days=3), GINKGO),
    )

    planned = plan(journey, now=datetime(2027, 1, 4, tzinfo=UTC))

    # Wall clock: 09:00 and 18:00 local on both sides of the change.
    assert planned["med:10:heads-up"].due_at == datetime(2027, 3, 5, 17, 0, tzinfo=UTC)  # PST
    assert planned["fasting:solids"].due_at == datetime(2027, 3, 15, 1, 0, tzinfo=UTC)  # PDT
    assert planned["fasting:solids"].due_at.astimezone(LA).time() == time(18, 0)
    # Real hours: 36 h before 07:30 PDT Monday is 18:30 PST Saturday, not 19:30.
    assert "before 18:30 on Saturday 13 March" in planned["med:11:stop"].body
    ginkgo_cutoff = datetime(2027, 3, 14, 2, 30, tzinfo=UTC)
    assert surgery.astimezone(UTC) - ginkgo_cutoff == timedelta(hours=36)


def test_fall_back_monday_keeps_wall_clock_times_and_real_hours():
    # Clocks went back at 02:00 on Sunday 1 November 2026.
    surgery = at(2026, 11, 2, 7, 30)
    journey = facts(
        surgery_at=surgery,
        fasting_rules=(SOLIDS,),
        medications=(med(hold_days=7, heads_up_days=3), GINKGO),
    )

    planned = plan(journey, now=datetime(2026, 9, 1, tzinfo=UTC))

    assert planned["med:10:heads-up"].due_at == datetime(2026, 10, 23, 16, 0, tzinfo=UTC)  # PDT
    assert planned["fasting:solids"].due_at == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # PST
    assert planned["fasting:solids"].due_at.astimezone(LA).time() == time(18, 0)
    # 8 real hours before the 05:30 arrival: 21:30 Sunday, after the change.
    assert "after 21:30 on Sunday 1 November" in planned["fasting:solids"].body
    # Real hours: 36 h before 07:30 PST Monday is 20:30 PDT Saturday, not 19:30.
    assert "before 20:30 on Saturday 31 October" in planned["med:11:stop"].body


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Auckland"])
def test_times_are_the_clinics_wall_clock_in_any_zone(zone):
    clinic_zone = ZoneInfo(zone)
    surgery = datetime(2027, 5, 17, 7, 30, tzinfo=clinic_zone)

    planned = plan(facts(zone=clinic_zone, surgery_at=surgery, fasting_rules=(SOLIDS,)))

    solids = planned["fasting:solids"]
    assert solids.due_at.astimezone(clinic_zone) == datetime(2027, 5, 16, 18, tzinfo=clinic_zone)
    assert "after 21:30 on Sunday 16 May" in solids.body
