"""The null channel of the benchmark's workers: it sends nothing and counts each call
per reminder in a Redis hash, so a reminder called twice or never is seen, whichever
worker made the call and whether or not it lived to record it.

Importing this changes nothing; journeys/bench/worker.py puts it in the registry of
the worker processes only.
"""

import redis
from django.conf import settings

from journeys.channels import Channel

CALLS = "bench:channel-calls"
_client = None


def calls_client():
    """One Redis connection per process, made after the pool has forked."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


class NullChannel(Channel):
    def send(self, reminder, delivery):
        calls_client().hincrby(CALLS, str(reminder.uuid), 1)
        return f"null-{reminder.uuid}"
