"""What lists of photos can be narrowed to and ordered by: one django-filter FilterSet for the API's query
parameters (GET /api/photos?q=...) and the search page's form, and the orders a page can be in."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, Subquery
from django_filters.rest_framework import DjangoFilterBackend

from gallery.albums.models import Album
from gallery.images import ACCEPTED_FORMATS
from gallery.library.search import prefix_query
from gallery.models import Photo

# ?order= -> the paginator's ordering: by date taken (upload time where unknown: Photo.sort_at), or upload time.
ORDERINGS = {"taken": ("-sort_at", "-id"), "uploaded": ("-created_at", "-id")}
DEFAULT_ORDER = "taken"
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def albums_seen(request):
    """The albums the album filter offers: those the user may see (another's private album is no valid choice, so
    the filter tells nothing of what it holds)."""
    if request is None:  # the schema's generation
        return Album.objects.none()
    return Album.objects.visible_to(request.user).order_by("title", "pk")


class PhotoFilterSet(django_filters.FilterSet):
    """Every filter is optional and they combine (AND). Named after the photo's fields where they filter one."""

    q = django_filters.CharFilter(
        method="search",
        label="Words",
        help_text="Words of the title, description, camera or file name, or their starts (cano finds Canon).",
        max_length=200,
    )
    taken_at_after = django_filters.DateFilter(
        field_name="taken_at", lookup_expr="gte", label="Taken on or after", widget=DATE_INPUT
    )
    taken_at_before = django_filters.DateFilter(
        method="taken_on_or_before", label="Taken on or before", widget=DATE_INPUT
    )
    camera = django_filters.CharFilter(
        method="by_camera", label="Camera", help_text="Part of the camera's make or model.", max_length=100
    )
    camera_make = django_filters.CharFilter(lookup_expr="iexact", max_length=100)
    camera_model = django_filters.CharFilter(lookup_expr="iexact", max_length=100)
    owner = django_filters.CharFilter(method="by_owner", label="Owner", help_text="A username.", max_length=150)
    album = django_filters.ModelChoiceFilter(
        field_name="album_entries__album",
        queryset=albums_seen,
        label="Album",
        help_text="An album's id: the photos in it that you may see.",
    )
    favorite = django_filters.BooleanFilter(label="Favourites")
    content_type = django_filters.ChoiceFilter(
        label="Format", choices=[(content_type, content_type) for content_type, _ in ACCEPTED_FORMATS.values()]
    )
    order = django_filters.ChoiceFilter(
        method="ordered",
        label="Order",
        choices=[("taken", "Date taken"), ("uploaded", "Upload time")],
        empty_label=None,
        help_text="Newest first, by the date taken (upload time where unknown) or by upload time.",
    )

    class Meta:
        model = Photo
        fields = []

    def search(self, queryset, name, value):
        query = prefix_query(value)
        return queryset if query is None else queryset.filter(search_vector=query)

    def taken_on_or_before(self, queryset, name, value):
        return queryset.filter(taken_at__lt=datetime.combine(value + timedelta(days=1), time.min))

    def by_owner(self, queryset, name, value):
        # owner_id = (the user's id): a condition on the photo_owner_newest_taken index, where a join would not be.
        return queryset.filter(owner=Subquery(get_user_model().objects.filter(username=value).values("pk")[:1]))

    def by_camera(self, queryset, name, value):
        return queryset.filter(Q(camera_make__icontains=value) | Q(camera_model__icontains=value))

    def ordered(self, queryset, name, value):
        return queryset  # the paginator orders (ordering_of)


def ordering_of(params):
    """The paginator's ordering for a request's query parameters (`order`, validated by PhotoFilterSet)."""
    return ORDERINGS.get(params.get("order") or DEFAULT_ORDER, ORDERINGS[DEFAULT_ORDER])


class PhotoFilterBackend(DjangoFilterBackend):
    """django-filter's backend, which also tells the paginator the order asked for (DRF's get_ordering hook)."""

    def get_ordering(self, request, queryset, view):
        return ordering_of(request.query_params)
