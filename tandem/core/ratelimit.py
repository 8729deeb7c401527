"""Fixed-window rate limits counted in Django's cache."""

import time

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache


def allow_all(limits: dict[str, int], window: int = 60) -> bool:
    """Count one hit against each key; False when any of them is past its limit in this
    window. On Redis every count is one INCR and all of them go in one round trip (a form
    submission checks two limits: through the cache's add and incr that was six)."""
    slot = int(time.time() // window)
    slots = {f"rate:{key}:{slot}": limit for key, limit in limits.items()}
    cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        counts = _redis_counts(cache, list(slots), window)
    else:
        counts = [_count(cache, key, window) for key in slots]
    return all(count <= limit for count, limit in zip(counts, slots.values(), strict=True))


def _redis_counts(cache, keys: list[str], window: int) -> list[int]:
    """INCR creates a missing key at 1 (stored as Django's Redis cache stores an integer, so
    cache.get reads it); the expiry outlives the window. Each key on the server the cache
    would put it on, one pipeline a server."""
    pipes, counts = {}, {}
    for key in keys:
        full = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full, write=True)
        pipe = pipes.setdefault(id(client), (client.pipeline(transaction=False), []))
        pipe[0].incr(full)
        pipe[0].expire(full, window * 2)
        pipe[1].append(key)
    for pipe, names in pipes.values():
        counts.update(zip(names, pipe.execute()[::2], strict=True))
    return [counts[key] for key in keys]


def _count(cache, slot: str, window: int) -> int:
    """One operation when the slot is counting already (the common case), else it starts."""
    try:
        return cache.incr(slot)
    except ValueError:  # no count yet in this window
        if cache.add(slot, 1, timeout=window * 2):
            return 1
    try:
        return cache.incr(slot)  # another request started it meanwhile
    except ValueError:  # and it expired since
        cache.set(slot, 1, timeout=window * 2)
        return 1
