"""`python -m journeys.bench.replay TARGET TIMES`: ask for one page TIMES times.

journeys/bench/instructions.py runs it under callgrind, with the production settings
gunicorn runs with. TARGET is {"path": ..., "user": id}, as JSON. The user's session is
signed in here, as journeys/bench/load.py does for gunicorn, so its clocks start with
this process: no request of it is the one that refreshes them (a session write), and
every run asks for the same work. Any answer but 200 stops it with an error.

With "render_twice": true in TARGET, each page renders its template twice and answers
with the second: instructions.py subtracts a normal run to count what one rendering
costs. The second rendering runs no query the first has already run (a queryset keeps
its rows) and reuses what the first computed into cached properties, so the difference
is the template's own work, with any property or query it asks for anew.
"""

import json
import os
import sys
import threading

_rendering = threading.local()


def render_twice():
    """Make every page render its template twice; the templates it renders inside
    (form widgets) are rendered again with it, not twice more."""
    from django.template.backends import django as backend

    once = backend.Template.render

    def twice(self, context=None, request=None):
        if getattr(_rendering, "outer", False):
            return once(self, context, request)
        _rendering.outer = True
        try:
            once(self, context, request)
            return once(self, context, request)
        finally:
            _rendering.outer = False

    backend.Template.render = twice


def replay(target, times):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spinecare.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from journeys.bench.load import server_session

    if target.get("render_twice"):
        render_twice()
    user = get_user_model().objects.get(pk=target["user"])
    # The host and header gunicorn's requests carry behind the TLS proxy (load.py).
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.cookies[settings.SESSION_COOKIE_NAME] = server_session(user, settings.SECRET_KEY)
    for _ in range(times):
        response = client.get(target["path"], secure=True)
        if response.status_code != 200:
            return f"{target['path']}: HTTP {response.status_code}"
    return None


if __name__ == "__main__":
    sys.exit(replay(json.loads(sys.argv[1]), int(sys.argv[2])))
