"""The care team's side of a journey in a real browser, with the patient watching.

A coordinator enrols a patient and books their tests and therapy; a nurse records the
results, opens the readiness gate and completes the steps before surgery; on the day,
the nurse moves the patient through theatre on the surgery-day board. After each change
the patient's own browser shows it.

Three tests, one story: the second and third start from the bookings the first makes
through the page, made with the app's own functions instead (`booked_journey`:
journey_enroll and preop_test_schedule, which the booking page calls too).

Days pass with `time_machine.travel`. It patches the clock for the whole process, so
the live server's thread (which checks "is this test's time past?", "is it surgery
day?" and the TOTP codes) sees the same moment as the test; Chromium keeps the real
clock, which only its timers use. Sessions do not outlive a jump of days (the idle and
absolute limits), so everyone signs in again afterwards, as they would. Each jump lands
on a whole minute, which is the start of a TOTP period, so a code computed right after
is still valid when the server checks it. Jumps only go forward: rows made before a
jump must never look newer than what happens after it.

Set SPINECARE_SCREENSHOTS=1 to also write docs/screenshots/staff-worklist.png,
coordinator-calendar.png and surgery-day-board.png (whole pages, 1280x800 window).
"""

import os
import re
from contextlib import contextmanager
from datetime import time, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from journeys import scheduling
from journeys.enrolment import journey_enroll
from journeys.models import Location, PreopResult, Role, Step
from journeys.transitions import stage_complete
from tests.conftest import PASSWORD, make_user, surgery_in
from tests.test_browser_slice import enter_second_factor, sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SURGERY_DAY = 21  # days from today, at 07:30 in the clinic
TEST_DAY = 7  # the pre-op tests, at 09:00 and 10:00
# The microdiscectomy's required tests, with the preparation the clinic's catalogue gives;
# pages list them by name.
PREP = {
    "History and physical": "Bring a list of every medicine and supplement you take.",
    "Blood count (CBC)": "No preparation needed.",
}


@contextmanager
def on(clinic, days, at):
    """From `at` (clinic time) `days` from today, the clock running on from there."""
    with time_machine.travel(surgery_in(clinic, days, at), tick=True):
        yield


def short_day(moment):
    """How journeys.scheduling.describe names a day: 'Wed 2 Dec'."""
    return f"{moment:%a} {moment.day} {moment:%b}"


def messages(page):
    return page.locator("ul.messages")


def screenshot(page, name, *, reload=False):
    """For the README; `reload` first drops a one-off message such as "signed in"."""
    if os.environ.get("SPINECARE_SCREENSHOTS") == "1":
        if reload:
            page.reload()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / name, full_page=True)


def sign_in_care_team(page, base_url, user):
    sign_in(page, base_url, user.email, PASSWORD)
    enter_second_factor(page, user)
    expect(page).to_have_url(f"{base_url}{reverse('journeys:staff-worklist')}")


def sign_in_patient(page, base_url, user):
    sign_in(page, base_url, user.email, PASSWORD)
    expect(page).to_have_url(f"{base_url}/")


@pytest.fixture
def open_page(browser):
    """A page in a browser context of its own (its own cookies, so its own session)."""
    contexts = []

    def open_(viewport=DESKTOP):
        contexts.append(browser.new_context(viewport=viewport))
        return contexts[-1].new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def surgeon(clinic):
    return make_user("surgeon@test.example", Role.STAFF, clinic, "Sam Surgeon", second_factor=False)


def calendar_entries(page, section):
    return page.get_by_role("region", name=section).locator("li.appointment")


# 1. Enrolling and booking ------------------------------------------------------------


def enrol(page, base_url, clinic, surgeon):
    page.get_by_role("link", name="Enrol a patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enrol a patient")
    form = page.locator("form.form-card")
    form.get_by_label("Full name").fill("Rosa Reyes")
    form.get_by_label("Email").fill("rosa@patient.example")
    form.get_by_label("Phone").fill("(555) 010-4477")
    form.get_by_label("Date of birth").fill("1961-04-12")
    form.get_by_label("Procedure").select_option(label="Lumbar microdiscectomy")
    form.get_by_label("Surgeon").select_option(label=surgeon.full_name)
    form.get_by_label("Surgery date").fill(f"{surgery_in(clinic, SURGERY_DAY):%Y-%m-%d}")
    form.get_by_label("Surgery time").fill("07:30")
    form.get_by_label("Location").select_option(label="Main hospital")
    form.get_by_role("button", name="Enrol and send the invitation").click()

    expect(messages(page)).to_have_text(
        "Rosa Reyes is enrolled. Invitation sent to rosa@patient.example."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Rosa Reyes")


def accept_invitation(page):
    """The link in the email the enrolment sent: choose a password, land on the journey."""
    (email,) = [m for m in mail.outbox if m.to == ["rosa@patient.example"]]
    link = re.search(r"http://\S+/invite/\S+/", email.body).group()
    page.goto(link)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(messages(page)).to_have_text("Your password is set. Welcome to SpineCare.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your next step: Consultation")


def book_test(page, test, day, starts, ends):
    form = page.get_by_role("region", name="Book a pre-op test")
    form.get_by_label("Test").select_option(label=test)
    form.get_by_label(re.compile(r"^Date:?$")).fill(f"{day:%Y-%m-%d}")
    form.get_by_label("Starts").fill(starts)
    form.get_by_label("Ends").fill(ends)
    form.get_by_label("Location").select_option(label="Main hospital")
    form.get_by_role("button", name="Book the test").click()


def test_a_coordinator_enrols_a_patient_and_books_their_tests_and_the_patient_sees_them(
    live_server, open_page, clinic, coordinator, surgeon, totp_window
):
    base = live_server.url
    tests_day = surgery_in(clinic, TEST_DAY)
    coordinator_page, patient_page = open_page(), open_page(PHONE)

    # The coordinator enrols Rosa; the invitation goes out at once.
    sign_in_care_team(coordinator_page, base, coordinator)
    enrol(coordinator_page, base, clinic, surgeon)
    accept_invitation(patient_page)
    patient_page.get_by_role("link", name="Your appointments and calendar").click()
    expect(calendar_entries(patient_page, "Upcoming")).to_have_count(0)

    # From the patient's page to her bookings: nothing is booked, so she is not ready.
    coordinator_page.get_by_role("link", name=re.compile("^Scheduling")).click()
    expect(coordinator_page.get_by_role("heading", level=1)).to_have_text(
        "Scheduling for Rosa Reyes"
    )
    readiness = coordinator_page.get_by_role("region", name="Ready for surgery?")
    expect(readiness.get_by_role("listitem")).to_have_text(
        [f"{test}: not scheduled" for test in sorted(PREP)]
    )

    book_test(coordinator_page, "History and physical", tests_day, "09:00", "09:30")
    expect(messages(coordinator_page)).to_have_text(
        f"Booked: History and physical on {short_day(tests_day)} 09:00–09:30."
    )
    patient_page.reload()
    upcoming = calendar_entries(patient_page, "Upcoming")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text("History and physical")
    expect(upcoming.locator(".prep")).to_have_text(
        f"How to prepare: {PREP['History and physical']}"
    )

    # A second test overlapping the first is refused, naming the clash; nothing is booked.
    book_test(coordinator_page, "Blood count (CBC)", tests_day, "09:15", "09:45")
    expect(coordinator_page.get_by_role("region", name="Book a pre-op test")).to_contain_text(
        f"Overlaps History and physical on {short_day(tests_day)} 09:00–09:30."
    )
    expect(messages(coordinator_page)).to_have_count(0)
    patient_page.reload()
    expect(upcoming).to_have_count(1)

    book_test(coordinator_page, "Blood count (CBC)", tests_day, "10:00", "10:30")
    expect(messages(coordinator_page)).to_have_text(
        f"Booked: Blood count (CBC) on {short_day(tests_day)} 10:00–10:30."
    )
    expect(readiness.get_by_role("listitem")).to_have_text(
        [f"{test}: no result yet" for test in sorted(PREP)]
    )
    patient_page.reload()
    expect(upcoming).to_have_count(2)
    for test, prep in PREP.items():
        expect(upcoming.filter(has_text=test).locator(".prep")).to_have_text(
            f"How to prepare: {prep}"
        )

    # Therapy after surgery: two sessions a week for two weeks, booked as one series.
    therapy = coordinator_page.get_by_role("region", name="Book a therapy series")
    first_session = surgery_in(clinic, SURGERY_DAY + 14)
    therapy.get_by_label("First day").fill(f"{first_session:%Y-%m-%d}")
    therapy.get_by_label("Starts").fill("14:00")
    therapy.get_by_label("Ends").fill("14:45")
    therapy.get_by_label("Sessions a week").fill("2")
    therapy.get_by_label("Number of weeks").fill("2")
    therapy.get_by_label("Location").select_option(label="Main hospital")
    therapy.get_by_role("button", name="Book the series").click()
    expect(messages(coordinator_page)).to_contain_text("Therapy series booked: 4 sessions from")
    patient_page.reload()
    expect(upcoming).to_have_count(6)
    expect(upcoming.filter(has_text="Physical therapy")).to_have_count(4)

    coordinator_page.goto(
        f"{base}{reverse('journeys:coordinator-calendar')}?date={tests_day:%Y-%m-%d}&view=week"
    )
    expect(coordinator_page.get_by_role("row").filter(has_text="Rosa Reyes")).to_have_count(2)
    screenshot(coordinator_page, "coordinator-calendar.png")


# 2. Results, the readiness gate and the steps before surgery -------------------------


@pytest.fixture
def booked_journey(clinic, patient, coordinator, surgeon, microdiscectomy):
    """Where the first test leaves a patient: enrolled, and each required test booked."""
    hospital = Location.objects.get(clinic=clinic, name="Main hospital")
    journey = journey_enroll(
        patient=patient,
        procedure=microdiscectomy,
        by=coordinator,
        surgery_at=surgery_in(clinic, SURGERY_DAY, time(7, 30)),
        surgeon=surgeon,
        location=hospital,
    )
    for hour, test in enumerate(microdiscectomy.required_tests.order_by("name"), start=9):
        starts = surgery_in(clinic, TEST_DAY, time(hour))
        scheduling.preop_test_schedule(
            journey=journey,
            test_type=test,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            location=hospital,
            by=coordinator,
        )
    return journey


def mark_done(page, step, title):
    page.locator(f"#stage-{step}").get_by_role("button", name="Mark done").click()
    expect(messages(page)).to_have_text(f"{title}: Done.")


def record_cleared(page, test):
    page.get_by_role("row").filter(has_text=test).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(test)
    page.get_by_label("Cleared").check()
    page.get_by_role("button", name="Save the result").click()
    expect(messages(page)).to_have_text(f"{test}: Cleared.")


def test_a_nurse_clears_the_tests_and_completes_the_steps_before_surgery(
    live_server, open_page, clinic, nurse, patient, booked_journey
):
    base = live_server.url
    nurse_page, patient_page = open_page(), open_page(PHONE)
    next_step = patient_page.get_by_role("heading", level=1)

    # The day after the tests: a result can only be recorded once the test has been done.
    with on(clinic, TEST_DAY + 1, time(8)):
        sign_in_care_team(nurse_page, base, nurse)
        screenshot(nurse_page, "staff-worklist.png", reload=True)
        sign_in_patient(patient_page, base, patient)
        expect(next_step).to_have_text("Your next step: Consultation")

        nurse_page.get_by_role("link", name=patient.full_name).click()
        readiness = nurse_page.get_by_role("region", name="Ready for surgery?")
        expect(readiness.get_by_role("listitem")).to_have_text(
            [f"{test}: no result yet" for test in sorted(PREP)]
        )
        mark_done(nurse_page, Step.CONSULTATION, "Consultation")
        patient_page.reload()
        expect(next_step).to_have_text("Your next step: Tests before surgery")

        nurse_page.get_by_role("link", name=re.compile("^Scheduling")).click()
        patient_page.get_by_role("link", name="Your appointments and calendar").click()
        past = calendar_entries(patient_page, "Past")
        expect(past.locator(".status")).to_have_text(["Scheduled", "Scheduled"])
        for test in PREP:
            record_cleared(nurse_page, test)
            patient_page.reload()
            expect(past.filter(has_text=test).locator(".status")).to_have_text("Completed")

        # Every required test is cleared: the gate is open and preparation can finish.
        nurse_page.get_by_role("link", name=f"← {patient.full_name}").click()
        expect(readiness).to_contain_text(
            "Every required pre-op test is cleared and still valid on the surgery date."
        )
        expect(readiness.get_by_role("listitem")).to_have_count(0)
        patient_page.goto(f"{base}/")
        mark_done(nurse_page, Step.PREOP_TESTING, "Tests before surgery")
        patient_page.reload()
        expect(next_step).to_have_text("Your next step: Getting ready")
        mark_done(nurse_page, Step.PREPARATION, "Getting ready")
        patient_page.reload()
        # Anesthesia waits for theatre: preparation done does not start it.
        expect(next_step).to_have_text("Your next step: Anesthesia")
        expect(nurse_page.locator("#stage-anesthesia .badge")).to_have_text("To come")


# 3. Surgery day -----------------------------------------------------------------------


@pytest.fixture
def ready_journey(clinic, nurse, booked_journey):
    """The second test's outcome: results cleared and the steps before surgery done."""
    journey = booked_journey
    with on(clinic, TEST_DAY + 1, time(8)):
        for appointment in journey.appointments.filter(test_type__isnull=False):
            scheduling.preop_result_record(
                journey=journey, appointment=appointment, result=PreopResult.CLEARED, by=nurse
            )
        for step in (Step.CONSULTATION, Step.PREOP_TESTING, Step.PREPARATION):
            stage_complete(stage=journey.stages.get(step=step), by=nurse)
    return journey


def test_on_surgery_day_each_tap_on_the_board_reaches_the_patients_page(
    live_server, open_page, clinic, nurse, patient, ready_journey, settings
):
    settings.SPINECARE_LIVE_POLL_SECONDS = 1  # the panel asks every second instead of 30
    base = live_server.url
    nurse_page, patient_page = open_page(), open_page(PHONE)

    with on(clinic, SURGERY_DAY, time(7)):
        # The care team first: the TOTP code is computed early in its period.
        sign_in_care_team(nurse_page, base, nurse)
        sign_in_patient(patient_page, base, patient)
        phase = patient_page.locator("#surgery-live .live-phase")
        expect(phase).to_have_text("Surgery has not started yet.")

        nurse_page.get_by_role("link", name="Surgery day").click()
        row = nurse_page.locator("ul.board li").filter(has_text=patient.full_name)
        expect(row).to_contain_text("Not started")

        # One tap each; the patient's page follows on its own, without a reload. The
        # family reads "surgery in progress" from the incision until closing starts.
        for step, board_title, patient_phase in [
            (Step.ANESTHESIA, "Anesthesia", "Anesthesia"),
            (Step.INCISION, "Incision", "Surgery in progress"),
            (Step.BONE_REMOVAL, "Removing bone or disc", "Surgery in progress"),
            (Step.CLOSURE, "Closing the wound", "Closing"),
            (Step.RECOVERY, "Recovery", "In recovery"),
        ]:
            row.get_by_role("button", name=f"Start {board_title}").click()
            expect(messages(nurse_page)).to_have_text(
                f"{patient.full_name}: {board_title} started."
            )
            expect(row).to_contain_text(f"{board_title}: In progress")
            expect(phase).to_have_text(patient_phase)
            if step == Step.INCISION:
                screenshot(nurse_page, "surgery-day-board.png")

        # In recovery the board has nothing more to start, and the panel stops asking.
        expect(row.get_by_role("button")).to_have_count(0)
        expect(patient_page.locator("#surgery-live .live-events li")).to_have_text(
            [
                re.compile(r"^Anesthesia started"),
                re.compile(r"^Surgery started"),
                re.compile(r"^Closing started"),
                re.compile(r"^In recovery since"),
            ]
        )
        expect(patient_page.locator("#surgery-live[hx-get]")).to_have_count(0)
