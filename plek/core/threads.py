"""Thread pools a process keeps for background work, one per name: made on first use and made anew
in a forked child (a gunicorn worker), whose copy of the parent's pool has no threads."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_pools: dict[str, tuple[int, ThreadPoolExecutor]] = {}
_lock = threading.Lock()


def process_pool(name: str, workers: int) -> ThreadPoolExecutor:
    """This process's pool called `name` (its threads are named after it)."""
    pid = os.getpid()
    found = _pools.get(name)
    if found is None or found[0] != pid:
        with _lock:
            found = _pools.get(name)
            if found is None or found[0] != pid:
                found = (pid, ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name))
                _pools[name] = found
    return found[1]
