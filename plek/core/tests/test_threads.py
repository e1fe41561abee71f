"""A process's named thread pools: one per name, and a working one again in a forked child."""

from __future__ import annotations

import os
import threading

from plek.core.threads import process_pool


def test_one_pool_per_name_and_a_new_one_after_a_fork() -> None:
    pool = process_pool("plek-test-a", 1)
    assert process_pool("plek-test-a", 1) is pool
    assert process_pool("plek-test-b", 1) is not pool
    assert pool.submit(lambda: threading.current_thread().name).result().startswith("plek-test-a")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's pool object has no threads here
        try:
            child = process_pool("plek-test-a", 1)
            ok = child is not pool and child.submit(lambda: 41 + 1).result(timeout=10) == 42
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1" and status == 0
    assert process_pool("plek-test-a", 1) is pool  # the parent's stays
