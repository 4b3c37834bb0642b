"""Root URLs: the gallery, accounts, the API schema and docs, and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("gallery.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from a URL instead of inline, as the CSP requires.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
]

# API clients get JSON under /api/, as for the views that answer there; the rest get the site's pages.
# Known failures raised outside the views (in the middleware) get their own status (gallery.failures).
handler400 = "gallery.failures.bad_request"
handler404 = "gallery.failures.not_found"
handler500 = "gallery.failures.server_error"
