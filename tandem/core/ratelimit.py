"""Fixed-window rate limits counted in Django's cache."""

import time

from django.core.cache import cache


def allow(key: str, limit: int, window: int = 60) -> bool:
    """Count one hit against `key`; False once more than `limit` hits fall in this window."""
    slot = f"rate:{key}:{int(time.time() // window)}"
    cache.add(slot, 0, timeout=window * 2)
    try:
        count = cache.incr(slot)
    except ValueError:  # expired between add and incr
        cache.set(slot, 1, timeout=window * 2)
        count = 1
    return count <= limit
