"""Root URLs: the gallery, the API schema and docs, and the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("gallery.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
    # The gallery's own pages come later; until then the browsable API is the front page.
    path("", RedirectView.as_view(url="/api/", permanent=False)),
]

# API clients get JSON for paths that match no URL under /api/, as for the ones that do.
handler404 = "gallery.api.not_found"
