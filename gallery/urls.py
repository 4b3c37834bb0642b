"""URLs of the gallery: its pages, the API router and the health check."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from gallery import api, views
from gallery.albums import api as album_api
from gallery.albums import views as album_views
from gallery.direct_uploads import api as upload_api
from gallery.library import api as library_api
from gallery.library import pages as library_pages
from gallery.shares import api as share_api
from gallery.shares import views as share_views


class OptionalSlashRouter(DefaultRouter):
    """/api/photos and /api/photos/ both answer every method, with no redirect (the old API had no slash)."""

    def __init__(self):
        super().__init__()
        # DefaultRouter takes only True or False; its URL patterns are regexes, so "/?" makes the slash optional.
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("photos", api.PhotoViewSet, basename="photo")
router.register("albums", album_api.AlbumViewSet, basename="album")
router.register("share-links", share_api.ShareLinkViewSet, basename="sharelink")
router.register("uploads", upload_api.UploadSessionViewSet, basename="upload")
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
    path("photos/trash/", library_pages.move_to_trash, name="trash-photos"),
    path("trash/restore/", library_pages.restore, name="restore-photos"),
    path("trash/purge/", library_pages.purge, name="purge-photos"),
    path("accounts/signup/", views.signup, name="signup"),
    path("albums/", album_views.album_list, name="albums"),
    path("albums/new/", album_views.album_create, name="album-create"),
    path("albums/add-photos/", album_views.add_photos, name="album-add-photos"),
    path("albums/<int:pk>/", album_views.album_detail, name="album"),
    path("albums/<int:pk>/edit/", album_views.album_edit, name="album-edit"),
    path("albums/<int:pk>/members/", album_views.album_members, name="album-members"),
    path("albums/<int:pk>/delete/", album_views.album_delete, name="album-delete"),
    path("albums/<int:pk>/remove-photos/", album_views.remove_photos, name="album-remove-photos"),
    path("albums/<int:pk>/cover/", album_views.set_cover, name="album-cover"),
    path("albums/<int:pk>/move/", album_views.move_photo, name="album-move"),
    path("albums/<int:pk>/download/", album_views.album_download, name="album-download"),
    path("shares/", share_views.share_list, name="shares"),
    path("shares/new/", share_views.share_create, name="share-create"),
    path("shares/<int:pk>/revoke/", share_views.share_revoke, name="share-revoke"),
    path("s/<str:token>/", share_views.shared, name="share"),
    path("s/<str:token>/download/", share_views.shared_download, name="share-download"),
    path("s/<str:token>/photos/<int:photo_id>/", share_views.shared_photo, name="share-photo"),
    path("s/<str:token>/photos/<int:photo_id>/<str:kind>", share_views.shared_image, name="share-image"),
    path("api/", include(router.urls)),
    path("healthz", views.healthz, name="healthz"),
]
