"""Garbage collector settings for a serving process.

Almost nothing the server allocates per message forms a reference cycle, so the cyclic
collector finds next to nothing, yet with CPython's defaults it runs a young collection every 700
allocations and, now and then, a full one over every object in the process: with a thousand
busy stations that was about a sixth of the server's CPU, and each full pass stalled every
session for a few hundred milliseconds. Reference counting still frees all acyclic garbage at
once; these settings only make the cycle hunt rarer and keep it off the objects made at start-up.
"""

from __future__ import annotations

import gc

#: Allocations between young collections (CPython: 700), young collections between middle ones
#: (10) and middle ones between full ones (10; CPython also waits until a full one would find
#: at least a quarter more objects than the last).
SERVING_THRESHOLDS = (50_000, 20, 20)


def tune_for_serving(thresholds: tuple[int, int, int] = SERVING_THRESHOLDS) -> None:
    """Collect once, move every object alive now out of the collector's sight, space out collections.

    Call it once start-up is done: the modules, schemas, compiled statements and caches made so
    far live as long as the process, so full collections need not walk them again and again.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)
