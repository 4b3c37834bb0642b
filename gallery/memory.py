"""A process's memory budget: one image checked or decoded at a time, and its memory given back to the system once
it is freed, in every process that decodes.

Decoding allocates up to 150 MB (gallery.images.DECODE_BUDGET_BYTES), which glibc's malloc keeps for reuse once
freed, in pieces the next large image may not fit in. Measured on the hostile corpus (test_memory_budget.py): a
gunicorn worker kept up to 200 MB between uploads without these calls (97 to 110 MB with them), and a job worker,
whose jobs run in threads with arenas of their own, crept from 124 to 253 MB over a dozen large photos, so that the
next one took it past the 300 MB budget. No Python API does this; only glibc has these calls (elsewhere they are
left out).
"""

import ctypes
import ctypes.util
import threading

M_MMAP_THRESHOLD = -3
LIBC = ctypes.CDLL(ctypes.util.find_library("c"))
GLIBC = hasattr(LIBC, "mallopt") and hasattr(LIBC, "malloc_trim")

# Held while an image's bytes are checked and its pixels decoded (gallery.uploads, gallery.images.decode), so that
# the budget measured for one upload or job (README: 300 MB) is a process's, however many requests its threads
# serve at once (gunicorn's gthread workers). Reentrant: an upload's check decodes inside it.
one_image_at_a_time = threading.RLock()


def map_large_blocks():
    """Have malloc map each block of 4 MB or more on its own, so that freeing it gives it back (a forked gunicorn
    worker inherits this from the master)."""
    if GLIBC:
        LIBC.mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024)


def release_freed_memory():
    """Give the free memory of every arena back to the system: after an upload, and after a job."""
    if GLIBC:
        LIBC.malloc_trim(0)
