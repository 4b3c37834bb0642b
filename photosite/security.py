"""Content-Security-Policy helpers: the origins of photo URLs, and the pages that may keep inline styles."""

from urllib.parse import urlsplit

from csp.constants import UNSAFE_INLINE
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


class PhotositeCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, letting inline styles through on the third-party pages that need them.

    The browsable API and its login page (DRF's templates) and Swagger UI's page carry style attributes
    and <style> blocks; those paths, named by CSP_INLINE_STYLE_PATHS, get style-src 'unsafe-inline'.
    Scripts stay 'self' everywhere. django-csp documents subclassing get_policy_parts for this.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(tuple(settings.CSP_INLINE_STYLE_PATHS)):
            update = dict(parts.update or {})
            update["style-src"] = [*update.get("style-src", ()), UNSAFE_INLINE]
            parts.update = update
        return parts
