"""A patient's medicines: from the formulary or free text, classified by staff, and their holds."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journeys.enrolment import journey_enroll, journey_set_status
from journeys.medications import (
    journey_medication_add,
    journey_medication_classify,
    journey_medication_remove,
)
from journeys.models import (
    AuditEvent,
    JourneyMedication,
    JourneyStatus,
    Medication,
    Owner,
    Reminder,
    ReminderStatus,
)
from tests.conftest import surgery_in


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def formulary(clinic, name, use=""):
    return Medication.objects.get(clinic=clinic, name=name, use=use)


@pytest.fixture
def aspirin(clinic):
    return formulary(clinic, "Aspirin", "no heart or stroke history")


@pytest.fixture
def warfarin(clinic):
    return formulary(clinic, "Warfarin (Coumadin)")


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


def med_reminders(journey, item):
    rows = Reminder.objects.filter(journey=journey, key__startswith=f"med:{item.pk}:")
    return {r.key.rsplit(":", 1)[1]: r for r in rows}


def test_a_formulary_medicine_plans_its_heads_up_and_stop(journey, nurse, aspirin):
    item = journey_medication_add(journey=journey, by=nurse, medication=aspirin)

    reminders = med_reminders(journey, item)
    assert set(reminders) == {"heads-up", "stop"}
    stop_day = journey.surgery_local().date() - timedelta(days=7)
    assert reminders["stop"].due_at.astimezone(journey.clinic.zone).date() == stop_day
    assert "Do not take it from today" in reminders["stop"].body
    assert AuditEvent.objects.filter(action="medication.add", object_id=str(item.pk)).exists()


def test_a_medicine_not_in_the_formulary_is_flagged_and_plans_no_hold(journey, nurse):
    item = journey_medication_add(journey=journey, by=nurse, free_text="  Turmeric capsules ")

    assert item.needs_classification
    assert item.free_text == "Turmeric capsules"
    assert med_reminders(journey, item) == {}


def test_classifying_a_free_text_medicine_plans_its_hold(journey, nurse, clinic):
    item = journey_medication_add(journey=journey, by=nurse, free_text="Turmeric capsules")
    herbal = formulary(clinic, "Herbal supplements", "any not listed separately")

    journey_medication_classify(item=item, medication=herbal, by=nurse)

    item.refresh_from_db()
    assert not item.needs_classification
    assert (item.classified_by, item.free_text) == (nurse, "Turmeric capsules")
    assert set(med_reminders(journey, item)) == {"heads-up", "stop"}
    assert "Herbal supplements" in med_reminders(journey, item)["stop"].body
    assert AuditEvent.objects.filter(action="medication.classify").count() == 1


def test_removing_a_medicine_cancels_pending_reminders_and_keeps_sent_ones(journey, nurse, aspirin):
    item = journey_medication_add(journey=journey, by=nurse, medication=aspirin)
    before = med_reminders(journey, item)
    Reminder.objects.filter(pk=before["heads-up"].pk).update(
        status=ReminderStatus.SENT, sent_at=timezone.now()
    )

    journey_medication_remove(item=item, by=nurse)

    after = {key: Reminder.objects.get(pk=r.pk) for key, r in before.items()}
    assert after["heads-up"].status == ReminderStatus.SENT
    assert after["stop"].status == ReminderStatus.CANCELLED
    assert not JourneyMedication.objects.filter(pk=item.pk).exists()
    assert AuditEvent.objects.filter(action="medication.remove").exists()


def test_prescriber_decides_means_no_stop_reminder_but_ask_your_prescriber(
    journey, nurse, warfarin
):
    item = journey_medication_add(journey=journey, by=nurse, medication=warfarin)

    reminders = med_reminders(journey, item)
    assert set(reminders) == {"ask-prescriber"}
    assert reminders["ask-prescriber"].subject == (
        "Ask your prescriber before stopping Warfarin (Coumadin)"
    )
    # The coordinator's task that goes with it, from the procedure's default checklist.
    assert journey.checklist_items.filter(
        owner=Owner.COORDINATOR, text__icontains="instructions from your prescriber"
    ).exists()


def test_reclassifying_as_keep_taking_cancels_the_stop(journey, nurse, aspirin, clinic):
    item = journey_medication_add(journey=journey, by=nurse, free_text="Baby aspirin")
    journey_medication_classify(item=item, medication=aspirin, by=nurse)
    stop = med_reminders(journey, item)["stop"]

    journey_medication_classify(item=item, medication=formulary(clinic, "Methotrexate"), by=nurse)

    stop.refresh_from_db()
    assert stop.status == ReminderStatus.CANCELLED


@pytest.fixture
def soon_journey(patient, fusion, nurse):
    """Surgery in three days: too late for a seven-day hold."""
    return journey_enroll(
        patient=patient, procedure=fusion, by=nurse, surgery_at=surgery_in(fusion.clinic, 3)
    )


def test_a_medicine_recorded_after_its_stop_day_says_stop_now(soon_journey, nurse, aspirin):
    journey = soon_journey

    item = journey_medication_add(journey=journey, by=nurse, medication=aspirin)

    stop = med_reminders(journey, item)["stop"]
    assert stop.subject == "Stop Aspirin now"
    assert stop.due_at == item.added_at
    assert "please call your care team today" in stop.body
    assert "heads-up" not in med_reminders(journey, item)


def other_clinic_aspirin(other_clinic):
    return formulary(other_clinic, "Aspirin", "no heart or stroke history")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (lambda j, a: {"free_text": "   "}, "Choose a medicine from the list"),
        (lambda j, a: {"medication": a}, "already on this patient's list"),
        (lambda j, a: {"medication": "other clinic"}, "not in this clinic's list"),
        (lambda j, a: {"medication": "retired"}, "no longer in the clinic's list"),
    ],
)
def test_bad_medicine_input_is_refused_and_nothing_is_saved(
    journey, nurse, aspirin, other_clinic, kwargs, message
):
    journey_medication_add(journey=journey, by=nurse, medication=aspirin)
    retired = formulary(journey.clinic, "Vitamin E")
    retired.is_active = False
    retired.save()
    arguments = kwargs(journey, aspirin)
    arguments["medication"] = {
        "other clinic": other_clinic_aspirin(other_clinic),
        "retired": retired,
    }.get(arguments.get("medication"), arguments.get("medication"))
    counts = (JourneyMedication.objects.count(), Reminder.objects.count())
    audits = AuditEvent.objects.count()

    with pytest.raises(ValidationError, match=message):
        journey_medication_add(journey=journey, by=nurse, **arguments)

    assert (JourneyMedication.objects.count(), Reminder.objects.count()) == counts
    assert AuditEvent.objects.count() == audits


def test_a_closed_journeys_medicines_cannot_change(journey, nurse, aspirin):
    journey_set_status(journey=journey, status=JourneyStatus.CANCELLED, reason="Moved", by=nurse)

    with pytest.raises(ValidationError, match="can no longer be changed"):
        journey_medication_add(journey=journey, by=nurse, medication=aspirin)

    assert not journey.medications.exists()


# The staff page


def post(client, name, journey, data):
    return client.post(reverse(f"journeys:{name}", args=[journey.pk]), data, follow=True)


def test_nurse_adds_a_medicine_from_the_list_and_sees_its_hold(nurse_client, journey, aspirin):
    response = post(nurse_client, "medication-add", journey, {"medication": aspirin.pk})

    page = response.content.decode()
    assert "Added to the medicines: Aspirin (no heart or stroke history)" in page
    assert "stop 7 days before: last dose" in page
    assert journey.medications.get().medication == aspirin


def test_nurse_adds_free_text_then_classifies_it(nurse_client, journey, clinic):
    page = post(nurse_client, "medication-add", journey, {"free_text": "Ginkgo biloba"})
    item = journey.medications.get()
    assert "not in the list yet" in page.content.decode()
    assert "Classify it: no hold reminder is planned until then." in page.content.decode()

    ginkgo = formulary(clinic, "Ginkgo")
    page = post(
        nurse_client, "medication-classify", journey, {"item": item.pk, "medication": ginkgo.pk}
    )

    assert "Ginkgo biloba is now classified as Ginkgo." in page.content.decode()
    assert set(med_reminders(journey, item)) == {"heads-up", "stop"}


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("medication-add", {}, "Choose a medicine from the list"),
        ("medication-add", {"medication": "999999"}, "Select a valid choice"),
        ("medication-add", {"free_text": "x" * 201}, "at most 200 characters"),
        ("medication-classify", {"item": "stranger", "medication": "ginkgo"}, "valid choice"),
        ("medication-classify", {"item": "mine", "medication": "elsewhere"}, "valid choice"),
        ("medication-remove", {"item": "stranger"}, "Select a valid choice"),
    ],
)
def test_bad_input_on_the_page_gets_a_clear_message_and_changes_nothing(
    nurse_client, journey, stranger_journey, nurse, other_clinic, name, data, message
):
    mine = journey_medication_add(journey=journey, by=nurse, free_text="Mystery pill")
    theirs = journey_medication_add(journey=stranger_journey, by=nurse, free_text="Other pill")
    values = {
        "mine": mine.pk,
        "stranger": theirs.pk,
        "ginkgo": formulary(journey.clinic, "Ginkgo").pk,
        "elsewhere": other_clinic_aspirin(other_clinic).pk,
    }
    before = sorted(JourneyMedication.objects.values_list("pk", "medication_id"))

    response = post(nurse_client, name, journey, {k: values.get(v, v) for k, v in data.items()})

    assert message in response.content.decode()
    assert sorted(JourneyMedication.objects.values_list("pk", "medication_id")) == before


def test_another_clinics_staff_get_404_and_change_nothing(
    client, other_clinic_nurse, journey, nurse, aspirin
):
    item = journey_medication_add(journey=journey, by=nurse, free_text="Mystery pill")
    client.force_login(other_clinic_nurse)

    add = client.post(reverse("journeys:medication-add", args=[journey.pk]), {"free_text": "x"})
    remove = client.post(
        reverse("journeys:medication-remove", args=[journey.pk]), {"item": item.pk}
    )

    assert (add.status_code, remove.status_code) == (404, 404)
    assert list(journey.medications.all()) == [item]


def test_staff_see_every_reminder_with_its_delivery_state(nurse_client, journey):
    failed, sent = Reminder.objects.filter(journey=journey).order_by("due_at")[:2]
    Reminder.objects.filter(pk=failed.pk).update(
        status=ReminderStatus.FAILED, attempts=5, last_error="The email address was refused."
    )
    Reminder.objects.filter(pk=sent.pk).update(
        status=ReminderStatus.SENT, sent_at=timezone.now(), attempts=1
    )

    page = nurse_client.get(reverse("journeys:staff-journey", args=[journey.pk])).content.decode()

    assert 'class="reminder-failed is-failed"' in page
    assert "The email address was refused." in page
    assert "Before your surgery: when to stop eating" in page
    solids = journey.reminders.get(key="fasting:solids")
    assert solids.due_at.astimezone(journey.clinic.zone).strftime("%H:%M") == "18:00"
    assert f"{solids.due_at.astimezone(journey.clinic.zone):%a %-d %b %Y} 18:00" in page


def test_the_staff_page_flags_a_medicine_recorded_too_late(
    nurse_client, soon_journey, nurse, aspirin
):
    journey_medication_add(journey=soon_journey, by=nurse, medication=aspirin)

    url = reverse("journeys:staff-medications", args=[soon_journey.pk])
    page = nurse_client.get(url).content.decode()

    assert "Recorded after the stop date: the hold is shorter than the rule." in page


@pytest.mark.parametrize(
    "page, shows",
    [
        ("staff-journey", ["14 medicines recorded.", "2 typed in and not yet classified"]),
        ("staff-medications", ["Another mystery"]),
    ],
)
def test_the_staff_pages_query_count_does_not_grow_with_medicines_and_reminders(
    nurse_client, journey, nurse, page, shows
):
    url = reverse(f"journeys:{page}", args=[journey.pk])
    journey_medication_add(journey=journey, by=nurse, free_text="Mystery pill")
    with CaptureQueriesContext(connection) as few:
        nurse_client.get(url)
    reminders = journey.reminders.count()

    for medication in Medication.objects.filter(clinic=journey.clinic)[:12]:
        journey_medication_add(journey=journey, by=nurse, medication=medication)
    journey_medication_add(journey=journey, by=nurse, free_text="Another mystery")
    with CaptureQueriesContext(connection) as many:
        response = nurse_client.get(url)

    assert journey.reminders.count() >= reminders + 12
    text = " ".join(response.content.decode().split())
    assert all(words in text for words in shows)
    assert len(many) == len(few)
