"""The clinic's calendar and the coordinator's worklist of what to book next."""

from datetime import date, timedelta

from django.shortcuts import render
from django.utils import timezone

from journeys.agenda import WEEK, clinic_calendar, shown, week_start
from journeys.audit import audit_journeys_listed
from journeys.scheduling_queue import scheduling_tasks
from journeys.views.staff import care_team_required

VIEWS = {"day": 1, "week": WEEK}


def clinic_today(user):
    return timezone.now().astimezone(user.clinic.zone).date()


def requested_day(request):
    """The ?date= day, or the clinic's today when it is missing or not a date."""
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return clinic_today(request.user)


@care_team_required
def calendar(request):
    day = requested_day(request)
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "day"
    first = week_start(day) if view == "week" else day
    step = timedelta(days=VIEWS[view])
    days = clinic_calendar(request.user, first, VIEWS[view])
    audit_journeys_listed(request, shown(days), page="calendar")
    context = {
        "view": view,
        "day": day,
        "days": days,
        "previous": first - step,
        "next": first + step,
        "today": clinic_today(request.user),
    }
    return render(request, "coordinator/calendar.html", context)


@care_team_required
def worklist(request):
    tasks = scheduling_tasks(request.user)
    audit_journeys_listed(
        request, [(t.journey.pk, t.journey.patient_id) for t in tasks], page="to-book"
    )
    return render(request, "coordinator/worklist.html", {"tasks": tasks})
