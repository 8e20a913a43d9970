"""English and Spanish: the patient's own choice decides, a switch on every page changes
it, and the Spanish catalogue is complete and compiled.

The catalogue tests read locale/es/LC_MESSAGES/django.po with the small reader below,
so they need no gettext tools; the .mo must say exactly what the .po says.
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from journeys.channels.email import EmailChannel
from journeys.channels.sms import render_body
from journeys.enrolment import journey_enroll
from journeys.models import (
    AuditEvent,
    Delivery,
    FastingKind,
    FastingRule,
    ProcedureStep,
    ReminderStatus,
    Role,
    Step,
)
from journeys.people import person_language_set
from tests.conftest import make_user, surgery_in

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
SWITCH = reverse("journeys:language-set")
MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"


def spanish_date(moment):
    """ "16 de diciembre", written out here rather than by the code under test."""
    return f"{moment.day} de {MONTHS.split()[moment.month - 1]}"


def po_entries(path):
    """Each entry of a .po file as a dict: flags, msgctxt, msgid, msgid_plural and
    msgstr (a list, one per plural form). The header (msgid "") is left out."""
    entries, entry, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry and entry.get("msgid"):
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry or {"flags": set(), "msgctxt": None, "msgid_plural": None, "msgstr": []}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgstr":
                entry["msgstr"][-1] += value
            else:
                entry[key] += value
        else:
            keyword, value = line.split(" ", 1)
            key = "msgstr" if keyword.startswith("msgstr") else keyword
            if key == "msgstr":
                entry["msgstr"].append(ast.literal_eval(value))
            else:
                entry[key] = ast.literal_eval(value)
    return entries


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


@pytest.fixture
def spanish_journey(journey):
    """The journey of a patient who chose Spanish (in their preferences, say)."""
    person_language_set(person=journey.patient, language="es")
    return journey


def test_a_patient_who_chose_spanish_sees_their_page_in_spanish_whatever_the_browser_says(
    client, spanish_journey
):
    journey = spanish_journey
    client.force_login(journey.patient)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("journeys:home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Su próximo paso:" in page
    assert "Siga las indicaciones de su equipo de atención." in page
    assert "Your next step" not in page
    surgery = journey.surgery_at.astimezone(journey.clinic.zone)
    assert f"{spanish_date(surgery)} de {surgery.year}, {surgery:%H:%M}" in page


def test_switching_to_spanish_saves_the_choice_and_rewrites_waiting_reminders(
    patient_client, journey
):
    patient = journey.patient
    arrival = journey.reminders.get(key="surgery:arrival")
    assert arrival.subject == "Your surgery is tomorrow"

    response = patient_client.post(SWITCH, {"language": "es", "next": reverse("journeys:home")})

    assert response.status_code == 302
    assert response.url == reverse("journeys:home")
    patient.refresh_from_db()
    assert patient.language == "es"
    event = AuditEvent.objects.get(action="person.language")
    assert (event.actor, event.patient, event.detail["language"]) == (patient, patient, "es")
    arrival.refresh_from_db()
    assert (arrival.subject, arrival.status) == ("Su cirugía es mañana", ReminderStatus.PENDING)
    surgery = journey.surgery_at.astimezone(journey.clinic.zone)
    assert spanish_date(surgery) in arrival.body
    page = patient_client.get(reverse("journeys:home")).content.decode()
    assert "Su próximo paso:" in page


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_page_offers_the_switch_with_each_language_named_in_itself(client, journey, language):
    patient = journey.patient
    patient.language = language
    patient.save(update_fields=["language"])
    client.force_login(patient)

    page = client.get(reverse("journeys:home")).content.decode()

    assert f'action="{SWITCH}"' in page
    assert 'lang="en" class="link-button"' in page and ">English</button>" in page
    assert 'lang="es" class="link-button"' in page and ">Español</button>" in page
    assert f'value="{language}" lang="{language}" class="link-button" aria-current="true"' in page


def test_a_visitor_switches_the_sign_in_page_to_spanish(client):
    login = reverse("account_login")
    english = client.get(login).content.decode()
    assert "Forgot your password?" in english and f'action="{SWITCH}"' in english

    response = client.post(SWITCH, {"language": "es", "next": login}, follow=True)

    page = response.content.decode()
    assert response.redirect_chain == [(login, 302)]
    assert '<html lang="es">' in page
    assert "¿Olvidó su contraseña?" in page
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


def test_a_patient_who_chose_spanish_signs_out_to_a_spanish_sign_in_page(client, spanish_journey):
    client.force_login(spanish_journey.patient)
    client.get(reverse("journeys:home"), HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(reverse("account_logout"), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "_auth_user_id" not in client.session
    assert '<html lang="es">' in response.content.decode()


def test_a_language_we_do_not_offer_is_refused_and_changes_nothing(patient_client, journey):
    response = patient_client.post(
        SWITCH, {"language": "fr", "next": reverse("journeys:home")}, follow=True
    )

    assert "We do not offer that language yet." in response.content.decode()
    journey.patient.refresh_from_db()
    assert journey.patient.language == "en"
    assert not AuditEvent.objects.filter(action="person.language").exists()
    assert patient_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_staff_still_enrolling_a_second_factor_can_switch_the_enrolment_page(client, clinic):
    nurse = make_user("new.nurse@test.example", Role.STAFF, clinic, second_factor=False)
    client.force_login(nurse)
    enrol = reverse("mfa_activate_totp")

    response = client.post(SWITCH, {"language": "es", "next": enrol}, follow=True)

    # Back to enrolment (allauth asks a force-logged-in nurse for their password first).
    assert response.redirect_chain[0] == (enrol, 302)
    assert '<html lang="es">' in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.language == "es"
    event = AuditEvent.objects.get(action="person.language")
    assert (event.actor, event.patient) == (nurse, None)


def test_the_switch_only_takes_a_post(patient_client):
    assert patient_client.get(SWITCH, {"language": "es"}).status_code == 405


def test_a_spanish_patients_reminder_email_is_in_spanish(spanish_journey):
    reminder = spanish_journey.reminders.get(key="surgery:arrival")
    delivery = Delivery.objects.create(
        reminder=reminder, channel=reminder.channel, started_at=timezone.now()
    )

    EmailChannel().send(reminder, delivery)

    message = mail.outbox[-1]
    assert message.subject == "Su cirugía es mañana"
    assert f"Hola, {spanish_journey.patient.get_short_name()}:" in message.body
    assert "Por favor, llegue a las" in message.body
    assert "Siga las indicaciones de su equipo de atención." in message.body
    html, _mimetype = message.alternatives[0]
    assert "¿Tiene preguntas? Llame a su equipo de atención" in html


def test_a_spanish_patients_text_message_is_in_spanish(spanish_journey):
    reminder = spanish_journey.reminders.get(key="surgery:arrival")

    body = render_body(reminder, spanish_journey.patient)

    assert body.startswith(f"Recordatorio de {spanish_journey.clinic.name}:")


def test_a_spanish_patient_reads_the_clinics_default_texts_in_spanish(client, spanish_journey):
    journey = spanish_journey
    client.force_login(journey.patient)

    home = client.get(reverse("journeys:home")).content.decode()
    timeline = client.get(reverse("journeys:journey", args=[journey.pk])).content.decode()
    sheet = client.get(reverse("journeys:preparation", args=[journey.pk])).content.decode()

    assert "Fusión lumbar (abierta)" in home
    assert "</span> Consulta</h1>" in home
    assert "Se reúne con su cirujano." in home
    assert "Traiga una lista de todos los medicamentos y suplementos que toma" in home
    assert "Bring a list" not in home
    assert "Pruebas antes de la cirugía" in timeline
    assert "Tests before surgery" not in timeline
    assert "No coma alimentos, no tome leche ni mastique chicle después de las" in sheet
    assert "Todavía puede tomar líquidos claros" in sheet
    assert "No food" not in sheet


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_text_the_clinic_edited_is_shown_as_written_in_every_language(
    client, patient, fusion, nurse, language
):
    ProcedureStep.objects.filter(procedure=fusion, step=Step.CONSULTATION).update(
        title="Meet Dr Rivera"
    )
    FastingRule.objects.filter(clinic=fusion.clinic, kind=FastingKind.SOLIDS).update(
        instruction="Nothing to eat after dinner"
    )
    person_language_set(person=patient, language=language)
    journey = journey_enroll(
        patient=patient, procedure=fusion, by=nurse, surgery_at=surgery_in(fusion.clinic, 21)
    )
    client.force_login(patient)

    home = client.get(reverse("journeys:home")).content.decode()
    sheet = client.get(reverse("journeys:preparation", args=[journey.pk])).content.decode()

    assert f'<html lang="{language}">' in home
    assert "</span> Meet Dr Rivera</h1>" in home
    assert "Nothing to eat after dinner" in sheet


def test_a_spanish_patients_fasting_reminder_email_is_in_spanish(spanish_journey):
    reminder = spanish_journey.reminders.get(key="fasting:solids")
    delivery = Delivery.objects.create(
        reminder=reminder, channel=reminder.channel, started_at=timezone.now()
    )

    EmailChannel().send(reminder, delivery)

    message = mail.outbox[-1]
    assert "No coma alimentos, no tome leche ni mastique chicle después de las" in message.body
    assert "Todavía puede tomar líquidos claros hasta su hora límite" in message.body
    assert "No food" not in message.body


def test_the_error_page_speaks_the_active_language():
    with translation.override("es"):
        page = render_to_string("500.html")

    assert '<html lang="es">' in page
    assert "Algo salió mal de nuestro lado" in page


def test_every_spanish_entry_is_translated_with_the_same_placeholders():
    problems = []
    for entry in po_entries(CATALOGUE / "django.po"):
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {entry['msgid']!r}")
        if not all(entry["msgstr"]):
            problems.append(f"untranslated: {entry['msgid']!r}")
        wanted = set(PLACEHOLDER.findall(entry["msgid"]))
        for form in filter(None, entry["msgstr"]):
            if set(PLACEHOLDER.findall(form)) != wanted:
                problems.append(f"placeholders differ: {entry['msgid']!r} -> {form!r}")

    hint = "run makemessages -l es, translate, then compilemessages (see README)"
    assert problems == [], f"{hint}:\n" + "\n".join(problems)


def test_the_compiled_catalogue_says_what_the_po_says():
    with open(CATALOGUE / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    # One count for each Spanish plural form: one, a round million, many.
    counts = {compiled.plural(n): n for n in (1, 1_000_000, 2)}

    stale = []
    for entry in po_entries(CATALOGUE / "django.po"):
        msgid, context = entry["msgid"], entry["msgctxt"]
        if entry["msgid_plural"] is None:
            got = [compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)]
        else:
            got = [
                compiled.ngettext(msgid, entry["msgid_plural"], counts[form])
                for form in range(len(entry["msgstr"]))
            ]
        if got != entry["msgstr"]:
            stale.append(f"{msgid!r}: .mo has {got!r}, .po has {entry['msgstr']!r}")

    assert stale == [], "recompile: manage.py compilemessages\n" + "\n".join(stale)


def test_the_compiled_catalogue_is_kept_in_the_repository():
    ignored = (Path(settings.BASE_DIR) / ".gitignore").read_text().split()
    assert not {"*.mo", "locale/", "locale", "*.po"} & set(ignored)
