"""Open-file limits: every station is a socket on both sides, so each process raises its own."""

from __future__ import annotations

import resource

UNLIMITED_AS = 1 << 20  # what RLIM_INFINITY amounts to: Linux's default fs.nr_open


def raise_open_files_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (children inherit it); return it.

    Raising the hard limit itself needs CAP_SYS_RESOURCE, which a container often lacks, so the
    hard limit bounds the connections one process can hold.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return UNLIMITED_AS if hard == resource.RLIM_INFINITY else hard
