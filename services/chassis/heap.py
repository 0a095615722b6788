"""Keeping the garbage collector off the objects a service builds once at start.

A started service holds a few hundred thousand long-lived objects (modules, models, routes,
the ORM's mappers, pools). CPython's oldest-generation collection walks all of them, and under
load it runs every second or two, and each pass stops the event loop long enough to be what a
busy route's p99 is made of (docs/performance.md). Freezing moves everything that
exists once start-up is done into a permanent generation the collector never scans; objects
made afterwards are collected as before, so reference cycles created while serving are still
freed.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

#: CPython's defaults are (700, 10, 10): a young collection every 700 net allocations, which a
#: busy service makes in well under a millisecond, so objects of requests still in flight are
#: promoted and the oldest generation fills (and is walked) every second or so. Larger
#: thresholds let them die young; cyclic garbage waits a little longer to be freed.
COLLECTOR_THRESHOLDS = (20_000, 10, 10)


def freeze_startup_heap() -> None:
    """Call once start-up is complete (the end of a lifespan's start)."""
    # A collection first, so start-up's own garbage is freed rather than frozen.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    log.info("froze %d start-up objects out of the collector's reach", gc.get_freeze_count())
