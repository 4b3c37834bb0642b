"""Content-Security-Policy helpers: the origins of photo URLs, and what third-party pages may run inline."""

import base64
import hashlib
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware
from django.conf import settings


def photo_origins(*, bucket, endpoint_url=None, region="us-east-1", addressing_style="auto", custom_domain=None):
    """The origins of the photo URLs django-storages hands out with these settings, for the CSP's img-src.

    With an endpoint botocore keeps the endpoint's host (path style) unless the style is virtual, which may
    put the bucket in front of it; on AWS itself the host depends on the region, the style and the bucket name.
    """
    if custom_domain:
        # django-storages builds https://<custom domain>/<key>; the domain may carry a path.
        return [f"https://{custom_domain.split('/', 1)[0]}"]
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        origins = [f"{parts.scheme}://{parts.netloc}"]
        if addressing_style == "virtual":
            origins.append(f"{parts.scheme}://{bucket}.{parts.netloc}")
        return origins
    # botocore uses the global or the regional host, each with the bucket in front (virtual) or not (path).
    hosts = [f"s3.{region}.amazonaws.com", "s3.amazonaws.com"]
    return [f"https://{prefix}{host}" for host in hosts for prefix in (f"{bucket}.", "")]


# The browsable API's "Log out" link runs this onclick handler (DRF's optional_logout template tag).
DRF_LOGOUT_HANDLER = 'document.getElementById("logoutForm").submit()'


def source_hash(source):
    """The CSP source expression allowing exactly this inline code: 'sha256-<base64 digest>'."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()}'"


class PhotositeCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, adding CSP_PATH_UPDATES' sources on the third-party pages that need them.

    The browsable API, its login page and Swagger UI (DRF's and drf-spectacular's templates) carry inline
    styles and one inline handler; a prefix in CSP_PATH_UPDATES gives exactly those pages what they need.
    django-csp documents subclassing get_policy_parts for this.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        for prefix, sources in settings.CSP_PATH_UPDATES.items():
            if request.path_info.startswith(prefix):
                update = dict(parts.update or {})
                for directive, extra in sources.items():
                    update[directive] = [*update.get(directive, ()), *extra]
                parts.update = update
        return parts
