"""The floor, and the parts every page shares, measured beside the pages.

The pages under load are compared with the floor in the same run, so their ratio to it
says what the pages add, whatever the machine (journeys/bench/load.py). The two
reference pages add, one at a time, what no real page can leave out: the layout every
page renders, then one journey read through the access function with its audit row.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from journeys.access import get_journey_for_user
from journeys.audit import audit_journey_view


@login_required
def floor(request):
    # The user is loaded (by login_required) as on every page; nothing else is.
    return HttpResponse(f"ok {request.user.pk}\n", content_type="text/plain")


@login_required
def layout(request):
    """The floor plus the site's layout (base.html) around an empty page."""
    return render(request, "bench/layout.html")


@login_required
def audited_read(request, journey_id):
    """The layout plus one journey, read as every page reads one: through the access
    function, with the read on the patient's audit trail (its own durable commit)."""
    journey = get_journey_for_user(request.user, journey_id, request=request)
    audit_journey_view(request, journey, page="bench")
    return render(request, "bench/layout.html", {"journey": journey})
