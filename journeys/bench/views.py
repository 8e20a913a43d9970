"""The floor: the least a signed-in page can cost behind SpineCare's middleware.

The pages under load are compared with it in the same run, so their ratio to it says
what the pages add, whatever the machine (journeys/bench/load.py).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def floor(request):
    # The user is loaded (by login_required) as on every page; nothing else is.
    return HttpResponse(f"ok {request.user.pk}\n", content_type="text/plain")
