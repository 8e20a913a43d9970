"""The shared cache: Redis, falling back to this process's memory while Redis is down.

allauth keeps its login rate limits and its used-TOTP-code marks in the cache. With
plain RedisCache an outage turns every sign-in into a server error, so patients could
not reach the page that tells them when to stop eating. While Redis is unreachable
each process keeps those marks in its own memory instead: limits still apply, per
process rather than clinic-wide, until Redis returns.
"""

import logging

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError, TimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (ConnectionError, TimeoutError)


class FallbackRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._fallback = LocMemCache(f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT")})
        self._redis_down = False


def _falls_back(name):
    def method(self, *args, **kwargs):
        try:
            result = getattr(RedisCache, name)(self, *args, **kwargs)
        except UNREACHABLE as exc:
            if not self._redis_down:
                logger.warning("Redis cache unreachable (%s); using this process's memory", exc)
                self._redis_down = True
            return getattr(self._fallback, name)(*args, **kwargs)
        if self._redis_down:
            logger.warning("Redis cache reachable again")
            self._redis_down = False
        return result

    method.__name__ = name
    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(FallbackRedisCache, _name, _falls_back(_name))
