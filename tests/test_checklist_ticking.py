"""Ticking a checklist item: with htmx only the item comes back; without it the form posts
and the page reloads. Either way the form says which state it wants (done=1 or 0), so a
page left open in another tab cannot undo a tick by toggling blindly."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from journeys.enrolment import journey_set_status
from journeys.models import AuditEvent, ChecklistItem, Owner

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


@pytest.fixture
def item(journey):
    return journey.checklist_items.filter(owner=Owner.PATIENT).order_by("id").first()


def toggle_url(item):
    return reverse("journeys:checklist-toggle", args=[item.journey_id, item.pk])


def test_with_htmx_the_answer_is_the_ticked_item_alone(patient_client, item):
    response = patient_client.post(toggle_url(item), {"done": "1"}, **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.strip().startswith(f'<li id="item-{item.pk}"')
    assert "is-done" in body
    assert 'aria-pressed="true"' in body
    assert "<html" not in body
    item.refresh_from_db()
    assert item.is_done


def test_without_htmx_the_form_post_goes_back_to_the_page_it_came_from(patient_client, item):
    page = reverse("journeys:journey", args=[item.journey_id])

    response = patient_client.post(toggle_url(item), {"done": "1", "next": page})

    assert response.status_code == 302
    assert response.url == page
    item.refresh_from_db()
    assert item.is_done


def test_a_tick_from_a_stale_tab_keeps_the_item_ticked_instead_of_toggling_it(patient_client, item):
    patient_client.post(toggle_url(item), {"done": "1"}, **HTMX)
    first = ChecklistItem.objects.get(pk=item.pk).done_at

    # The other tab still shows the item open, so it also asks for "done".
    response = patient_client.post(toggle_url(item), {"done": "1"}, **HTMX)

    assert 'aria-pressed="true"' in response.content.decode()
    item.refresh_from_db()
    assert item.is_done
    assert item.done_at == first
    assert AuditEvent.objects.filter(action="checklist.tick").count() == 1


def test_an_untick_from_a_stale_tab_leaves_an_open_item_open(patient_client, item):
    response = patient_client.post(toggle_url(item), {"done": "0"}, **HTMX)

    assert 'aria-pressed="false"' in response.content.decode()
    item.refresh_from_db()
    assert not item.is_done
    assert not AuditEvent.objects.filter(action__startswith="checklist.").exists()


@pytest.mark.parametrize("done", ["", "yes", "2"])
def test_a_tick_that_does_not_say_what_it_wants_changes_nothing_and_says_so(
    patient_client, item, done
):
    response = patient_client.post(toggle_url(item), {"done": done}, **HTMX)

    assert response.status_code == 200
    assert "could not be read. Nothing was changed" in response.content.decode()
    item.refresh_from_db()
    assert not item.is_done


def test_an_item_on_a_cancelled_journey_is_refused_with_a_clear_message(
    patient_client, item, nurse
):
    journey_set_status(journey=item.journey, status="cancelled", by=nurse, reason="Moved away")

    htmx = patient_client.post(toggle_url(item), {"done": "1"}, **HTMX)
    plain = patient_client.post(toggle_url(item), {"done": "1"}, follow=True)

    assert "cancelled and can no longer be changed" in htmx.content.decode()
    assert "cancelled and can no longer be changed" in plain.content.decode()
    item.refresh_from_db()
    assert not item.is_done


def test_ticking_another_patients_item_by_htmx_is_a_404_on_their_trail(
    patient_client, patient, stranger_journey
):
    theirs = stranger_journey.checklist_items.filter(owner=Owner.PATIENT).first()

    response = patient_client.post(toggle_url(theirs), {"done": "1"}, **HTMX)

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_done
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor, denied.patient) == (patient, stranger_journey.patient)


def test_an_item_id_from_another_journey_is_refused_and_audited(
    patient_client, journey, stranger_journey
):
    theirs = stranger_journey.checklist_items.filter(owner=Owner.PATIENT).first()
    url = reverse("journeys:checklist-toggle", args=[journey.pk, theirs.pk])

    response = patient_client.post(url, {"done": "1"}, **HTMX)

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_done
    assert AuditEvent.objects.get(action="access.denied").detail["item_id"] == theirs.pk


def test_a_care_team_item_is_shown_but_a_patient_cannot_tick_it(patient_client, journey):
    staff_item = journey.checklist_items.filter(owner=Owner.STAFF).first()

    page = patient_client.get(reverse("journeys:journey", args=[journey.pk])).content.decode()
    response = patient_client.post(toggle_url(staff_item), {"done": "1"}, **HTMX)

    assert escape(staff_item.text) in page
    assert toggle_url(staff_item) not in page
    assert response.status_code == 404
    staff_item.refresh_from_db()
    assert not staff_item.is_done
    assert AuditEvent.objects.filter(action="access.denied").count() == 1


def test_a_forged_htmx_post_without_the_csrf_token_is_refused(patient, item):
    forger = Client(enforce_csrf_checks=True)
    forger.force_login(patient)

    response = forger.post(toggle_url(item), {"done": "1"}, **HTMX)

    assert response.status_code == 403
    item.refresh_from_db()
    assert not item.is_done
