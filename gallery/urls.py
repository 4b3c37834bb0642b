"""URLs of the gallery: its pages, the API router and the health check."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from gallery import api, views
from gallery.library import api as library_api
from gallery.library import pages as library_pages


class OptionalSlashRouter(DefaultRouter):
    """/api/photos and /api/photos/ both answer every method, with no redirect (the old API had no slash)."""

    def __init__(self):
        super().__init__()
        # DefaultRouter takes only True or False; its URL patterns are regexes, so "/?" makes the slash optional.
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("photos", api.PhotoViewSet, basename="photo")
router.register("trash", library_api.TrashViewSet, basename="trash")

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("photos/<int:pk>/", views.photo_detail, name="photo"),
    path("photos/<int:pk>/delete/", views.photo_delete, name="photo-delete"),
    path("upload/", views.upload, name="upload"),
    path("search/", library_pages.search, name="search"),
    path("favourites/", library_pages.favourites, name="favourites"),
    path("people/<str:username>/", library_pages.owner_photos, name="owner-photos"),
    path("trash/", library_pages.trash_page, name="trash"),
    path("photos/favourite/", library_pages.favourite, name="favourite-photos"),
    path("trash/restore/", library_pages.restore, name="restore-photos"),
    path("trash/purge/", library_pages.purge, name="purge-photos"),
    path("accounts/signup/", views.signup, name="signup"),
    path("api/", include(router.urls)),
    path("healthz", views.healthz, name="healthz"),
]
