"""Upload rate limits per user and per client address, shared by the API and the upload page.

The counts live in Django's default cache, which settings.py makes the database, so that every
gunicorn worker sees the same counts (a per-process cache would let each worker allow the limit).
"""

import ipaddress
import math

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_ip(request):
    """The client's address: REMOTE_ADDR, or the NUM_PROXIES-th address from the right of X-Forwarded-For.

    DRF's get_ident reads the header; a value that is not an address (a misconfigured proxy) falls back to
    REMOTE_ADDR, because django-axes stores this in an IP address column. Also django-axes' AXES_CLIENT_IP_CALLABLE.
    """
    address = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


class UploadThrottle(SimpleRateThrottle):
    """DRF's sliding-window throttle with its rate per hour read from a gallery setting on each use.

    DRF reads DEFAULT_THROTTLE_RATES once, at import; reading the setting here lets it change with the settings.
    """

    setting = None

    def get_rate(self):
        return f"{getattr(settings, self.setting)}/hour"


class UploadUserThrottle(UploadThrottle):
    """GALLERY_UPLOADS_PER_HOUR per logged-in user, whatever address they come from."""

    scope = "uploads_user"
    setting = "GALLERY_UPLOADS_PER_HOUR"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class UploadAddressThrottle(UploadThrottle):
    """GALLERY_UPLOADS_PER_HOUR_PER_IP per client address, logged in or not."""

    scope = "uploads_ip"
    setting = "GALLERY_UPLOADS_PER_HOUR_PER_IP"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


UPLOAD_THROTTLES = (UploadUserThrottle, UploadAddressThrottle)


def upload_wait(request):
    """Count an upload; None while the user and the address are within their limits, else the seconds to wait.

    As DRF's APIView.check_throttles does: every throttle counts the request, and the longest wait wins.
    """
    waits = []
    for throttle in (throttle_class() for throttle_class in UPLOAD_THROTTLES):
        if not throttle.allow_request(request, None):
            # wait() is None only when the limit was lowered below the count already made.
            waits.append(throttle.wait() or throttle.duration)
    return math.ceil(max(waits)) if waits else None


def wait_message(seconds):
    """What to tell someone who must wait `seconds` before uploading again."""
    minutes = math.ceil(seconds / 60)
    return f"Too many uploads: try again in {minutes} minute{'s' if minutes != 1 else ''}."
