"""`python -m journeys.bench.replay TARGET TIMES`: ask for one page TIMES times.

journeys/bench/instructions.py runs it under callgrind, with the production settings
gunicorn runs with. TARGET is {"path": ..., "user": id}, as JSON. The user's session is
signed in here, as journeys/bench/load.py does for gunicorn, so its clocks start with
this process: no request of it is the one that refreshes them (a session write), and
every run asks for the same work. Any answer but 200 stops it with an error.
"""

import json
import os
import sys


def replay(target, times):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spinecare.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from journeys.bench.load import server_session

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
