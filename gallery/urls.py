"""URLs of the gallery: the API router and the health check."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from gallery import api, views


class OptionalSlashRouter(DefaultRouter):
    """/api/photos and /api/photos/ both answer every method, with no redirect (the old API had no slash)."""

    def __init__(self):
        super().__init__()
        # DefaultRouter takes only True or False; its URL patterns are regexes, so "/?" makes the slash optional.
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("photos", api.PhotoViewSet, basename="photo")

urlpatterns = [
    path("api/", include(router.urls)),
    path("healthz", views.healthz, name="healthz"),
]
