"""When a photo was taken, as the camera's clock read: a wall-clock time and, when known, that clock's UTC offset.

Stored in two columns: `taken_at`, a `timestamp without time zone` (WallClockDateTimeField: a naive datetime in
Python), and `taken_at_offset`, minutes east of UTC or null. A photo taken at 21:00 in Tokyo is 21:00 with +540
and shows 21:00 wherever it is looked at; the API writes it 2019-06-01T21:00:00+09:00, or without the offset
when none is known. Lists are ordered by Photo.sort_at, which the database generates (see gallery.models).
"""

from datetime import UTC, date, datetime, timedelta, timezone

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as django_timezone
from django.utils.dateparse import parse_datetime

from gallery.images import parse_offset
from gallery.images.exif import EARLIEST_YEAR, OFFSET_RANGE_MINUTES

# What datetime-local inputs send and show (seconds included: cameras record them).
WALL_CLOCK_INPUT_FORMAT = "%Y-%m-%dT%H:%M:%S"


class WallClockDateTimeField(models.DateTimeField):
    """A date and time without a time zone: Django's DateTimeField, stored as `timestamp` and kept naive, where
    DateTimeField would convert it to the site's time zone (a Tokyo photo's 21:00 would become someone else's)."""

    description = "Date and time on a clock whose time zone is not part of the value"

    def db_type(self, connection):
        return "timestamp"

    def to_python(self, value):
        if value is None or isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value})
        return parsed

    def get_prep_value(self, value):
        value = self.to_python(models.Field.get_prep_value(self, value))
        if value is not None and django_timezone.is_aware(value):
            raise ValueError(f"{self.name} holds wall-clock times: give it a naive datetime, not {value!r}")
        return value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WallClockFormField, **kwargs})


def check_wall_clock(value):
    """Refuse times before photography (and so the year 1 of a "0001-01-01" placeholder)."""
    if value.year < EARLIEST_YEAR:
        raise ValidationError(f"Give a date in {EARLIEST_YEAR} or later.", code="too_early")


class WallClockFormField(forms.DateTimeField):
    """A date and time as typed (ISO 8601, as a datetime-local input sends it), kept as is: never converted to
    the site's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format=WALL_CLOCK_INPUT_FORMAT)
    default_validators = [check_wall_clock]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if parsed.tzinfo is not None:
            raise ValidationError("Give the time without its UTC offset; the offset has its own field.", code="aware")
        return parsed


def format_offset(minutes):
    """ "+09:00" for 540 minutes east of UTC, "-05:30" for -330."""
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


class UTCOffsetField(forms.CharField):
    """A UTC offset typed as +09:00 or -05:30, cleaned to minutes east of UTC; empty when unknown."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "+09:00", "size": 6, "maxlength": 6}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return format_offset(value) if isinstance(value, int) else value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        minutes = parse_offset(value)
        if minutes is None:
            raise ValidationError("Give the offset as +09:00 or -05:30, between -12:00 and +14:00.", code="invalid")
        return minutes


def taken_at_iso(taken_at, offset):
    """ISO 8601 of a wall-clock time, with its UTC offset when known; None when the time is unknown."""
    if taken_at is None:
        return None
    if offset is None:
        return taken_at.isoformat()
    return taken_at.replace(tzinfo=timezone(timedelta(minutes=offset))).isoformat()


def parse_taken_at(value):
    """(wall-clock time, offset in minutes or None) from ISO 8601 text; raises ValueError saying what is wrong."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("Give a date and time in ISO 8601, such as 2019-06-01T21:00:00+09:00.") from None
    if parsed.year < EARLIEST_YEAR:
        raise ValueError(f"Give a date in {EARLIEST_YEAR} or later.")
    offset = parsed.utcoffset()
    if offset is None:
        return parsed, None
    minutes, seconds = divmod(int(offset.total_seconds()), 60)
    low, high = OFFSET_RANGE_MINUTES
    if seconds or not low <= minutes <= high:
        raise ValueError("Give a UTC offset in whole minutes between -12:00 and +14:00.")
    return parsed.replace(tzinfo=None), minutes


def as_sort_instant(taken_at):
    """The value Photo.sort_at holds for a wall-clock time: the same digits read as UTC."""
    return taken_at.replace(tzinfo=UTC)
