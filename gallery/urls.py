"""URLs of the gallery: its pages, the API router and the health check."""

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
    path("", views.gallery, name="gallery"),
    path("photos/<int:pk>/", views.photo_detail, name="photo"),
    path("photos/<int:pk>/delete/", views.photo_delete, name="photo-delete"),
    path("upload/", views.upload, name="upload"),
    path("accounts/signup/", views.signup, name="signup"),
    path("api/", include(router.urls)),
    path("healthz", views.healthz, name="healthz"),
]
