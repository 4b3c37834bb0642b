"""Middleware: failures answered from the table in gallery.failures, limits on the log-in and sign-up forms,
a private site, and compressed pages."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import render

from gallery.failures import classify, failure_response, unreadable_request
from gallery.throttling import LOGIN_THROTTLES, throttle_wait


class FailureMiddleware:
    """Refuse a request whose head cannot be read (400), and answer the views' known failures (413, 503...).

    It comes before the middleware that reads the request (sessions, CSRF), so that none of them meets the
    unreadable charset; photosite.wsgi hands it what Django failed on while it built the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if problem := unreadable_request(request):
            return failure_response(request, classify(problem), problem)
        return self.get_response(request)

    def process_exception(self, request, exception):
        failure = classify(exception)
        return failure_response(request, failure, exception) if failure else None


class RequestBodyMiddleware:
    """Read a page's POST body before CsrfViewMiddleware does, so that an oversized or malformed one gets its page.

    Django turns an exception raised inside another middleware into a 500; read here first, it becomes
    an answer. It must come before CsrfViewMiddleware. The API (csrf-exempt DRF views) answers for itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or getattr(view_func, "csrf_exempt", False):
            return None
        try:
            request.POST  # noqa: B018 - parsing is the point: the size limit is enforced while it runs.
        except Exception as error:
            if (failure := classify(error)) is None:
                raise
            return failure_response(request, failure, error)
        return None


# The views whose forms check a password: the site's, the admin's and the browsable API's log-in, and sign-up.
LOGIN_VIEWS = {"login", "admin:login", "rest_framework:login", "signup"}


class LoginLimitMiddleware:
    """Refuse log-in and sign-up forms over GALLERY_LOGINS_PER_HOUR_PER_IP per address with 429, before any hashing.

    A password check costs about 0.3 s of CPU, a refusal one database statement; django-axes (which counts
    failures, and only after hashing) cannot refuse concurrent attempts before they are hashed.
    It must come before CsrfViewMiddleware and RequestBodyMiddleware, so that a refusal reads no body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match.view_name not in LOGIN_VIEWS:
            return None
        if (wait := throttle_wait(request, LOGIN_THROTTLES)) is None:
            return None
        context = {"cooloff_timedelta": timedelta(seconds=wait)}
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
        response["Retry-After"] = str(wait)
        return response


# What a visitor who is not logged in still reaches on a private site. The API (whose token logins only DRF
# sees) refuses them itself; the admin has its own login.
PRIVATE_SITE_OPEN_PATHS = ("/accounts/", "/s/", "/static/", "/healthz", "/api/", "/api-auth/", "/admin/")


class PrivateSiteMiddleware:
    """With GALLERY_PUBLIC_SITE=false, send visitors who are not logged in to the login page, but for share links."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not settings.GALLERY_PUBLIC_SITE
            and not request.user.is_authenticated
            and not request.path_info.startswith(PRIVATE_SITE_OPEN_PATHS)
        ):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


# What is compressed here: whitenoise serves the static files compressed already, and the rest (a share link's
# ZIP streamed from S3, redirects to images) is compressed already or too small to gain.
COMPRESSED_TYPES = {"text/html", "application/json", "application/vnd.oai.openapi", "application/vnd.oai.openapi+json"}


class PageGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, for the pages and the API's JSON only (README's Deployment says why BREACH is
    no risk here)."""

    def process_response(self, request, response):
        if response.get("Content-Type", "").partition(";")[0].strip() not in COMPRESSED_TYPES:
            return response
        return super().process_response(request, response)
