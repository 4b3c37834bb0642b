"""Keyset pagination of the photo lists, shared by the API and the pages."""

from datetime import UTC, datetime

from django.db.models import Q
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param

# The ids a cursor may name: a bigint column's positive values.
MAX_ID = 2**63 - 1


class LinkHeaderCursorPagination(CursorPagination):
    """Keyset pagination on (a date, id), newest first, whose body stays the plain array the old API's clients read.

    `ordering` names the date: ("-created_at", "-id") unless given, or a view's filter backend's get_ordering()
    says otherwise (DRF's way). The cursor holds the date and id of the row it starts after, so that each page is
    one range of an index on them however deep it is, and rows sharing a date are never skipped or repeated.
    (DRF's CursorPagination filters on the first field alone and counts an offset among equal values.)
    The next and previous pages are announced in a Link header (RFC 8288), as GitHub's API does.
    """

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def __init__(self, ordering=None):
        if ordering is not None:
            self.ordering = ordering

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        self.ordering = self.get_ordering(request, queryset, view)
        self.field = field = self.ordering[0].lstrip("-")
        reverse = bool(self.cursor and self.cursor.reverse)
        after = self.cursor and self.cursor.position is not None
        if after:
            value, pk = self.decode_position(self.cursor.position)
            if reverse:  # the newer rows, nearest first
                queryset = queryset.filter(Q(**{f"{field}__gt": value}) | Q(id__gt=pk), **{f"{field}__gte": value})
            else:  # the date's __lte bounds the index range; the rest skips the rows tied with the cursor's
                queryset = queryset.filter(Q(**{f"{field}__lt": value}) | Q(id__lt=pk), **{f"{field}__lte": value})
        rows = list(queryset.order_by(*((field, "id") if reverse else self.ordering))[: self.page_size + 1])
        self.page = rows[: self.page_size]
        more = len(rows) > self.page_size
        if reverse:
            self.page.reverse()
        self.has_next, self.has_previous = (after, more) if reverse else (more, after)
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def get_next_link(self):
        if not (self.has_next and self.page):
            return None
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=self.position_of(self.page[-1])))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.page:  # past the last row (deleted since): back to the start
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=self.position_of(self.page[0])))

    def position_of(self, photo):
        return f"{getattr(photo, self.field).isoformat()} {photo.pk}"

    def decode_position(self, position):
        """(date in UTC, id) from a cursor's position; a 404 like DRF's for anything else, or out of range."""
        value, _, pk = position.rpartition(" ")
        try:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("no time zone")
            # In UTC, as the database compares it: an offset it does not know (over 15 hours) or a date that
            # leaves Python's range on the way (year 1 at +01:00) is not a position a page could have made.
            value, pk = value.astimezone(UTC), int(pk)
        except (ValueError, OverflowError):
            raise NotFound(self.invalid_cursor_message) from None
        if not 0 < pk <= MAX_ID:
            raise NotFound(self.invalid_cursor_message)
        return value, pk

    def get_paginated_response(self, data):
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (("next", self.get_next_link()), ("prev", self.get_previous_link()))
            if url
        ]
        return Response(data, headers={"Link": ", ".join(links)} if links else None)

    def get_paginated_response_schema(self, schema):
        return schema
