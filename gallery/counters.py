"""Atomic counts per key within a window of time, one database row per key, for the rate limits.

Django's cache API would do if its incr were atomic, but the default cache here is the database's, whose incr
reads and writes in two steps, and DRF's SimpleRateThrottle reads and writes a list of times the same way: under
concurrency both lose counts. Here every count is one INSERT ... ON CONFLICT DO UPDATE ... RETURNING statement,
which PostgreSQL applies atomically, so N concurrent hits against a limit L let
exactly L through, across processes.
"""

import time
from dataclasses import dataclass

from django.db import connection, models


class RateCount(models.Model):
    """How many hits `key` had in its current window, and when that window ends (seconds since the epoch)."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField()
    window_ends = models.FloatField(db_index=True)

    class Meta:
        app_label = "gallery"


@dataclass(frozen=True)
class Hit:
    """The count of a key, this hit included, and the seconds until its window ends."""

    count: int
    seconds_left: float


# A window that has ended starts again with this hit; table and column names are fixed, values are parameters.
COUNT_HIT = """
INSERT INTO gallery_ratecount (key, count, window_ends) VALUES (%s, 1, %s)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN gallery_ratecount.window_ends <= %s THEN 1 ELSE gallery_ratecount.count + 1 END,
    window_ends = CASE WHEN gallery_ratecount.window_ends <= %s THEN %s ELSE gallery_ratecount.window_ends END
RETURNING count, window_ends
"""


def count_hit(key, window_seconds):
    """Count one hit of `key` in a window of `window_seconds` that starts with the key's first hit."""
    now = time.time()
    ends = now + window_seconds
    with connection.cursor() as cursor:
        cursor.execute(COUNT_HIT, [key, ends, now, now, ends])
        count, window_ends = cursor.fetchone()
    if count == 1:
        # A new window: the rows of windows that have ended are of no more use.
        RateCount.objects.filter(window_ends__lt=now).delete()
    return Hit(count, max(window_ends - now, 0.0))


def uncount_hit(key):
    """Take back one hit of `key` (a share link's right password, which should not spend the limit)."""
    RateCount.objects.filter(key=key, count__gt=0).update(count=models.F("count") - 1)
