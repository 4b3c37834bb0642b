"""Rate limits: uploads per user and per client address, logins and sign-ups per address.

Each limit is a DRF throttle counted in gallery.counters, whose counts are atomic and shared by every process.
IPv6 clients are counted by their /64 network, which is what one client usually holds.
"""

import ipaddress
import math

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from gallery.counters import count_hit

HOUR = 3600
IPV6_CLIENT_PREFIX = 64


def client_ip(request):
    """The client's address: REMOTE_ADDR, or the NUM_PROXIES-th address from the right of X-Forwarded-For.

    An IPv6 address stands for its /64 (the network's first address), and an IPv4-mapped one for its IPv4 address.
    DRF's get_ident reads the header; a value that is not an address (a misconfigured proxy) falls back to
    REMOTE_ADDR, because django-axes stores this in an IP address column; None when neither is an address.
    Also django-axes' AXES_CLIENT_IP_CALLABLE.
    """
    for candidate in (BaseThrottle().get_ident(request), request.META.get("REMOTE_ADDR")):
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if address.version == 6:
            if address.ipv4_mapped:
                return str(address.ipv4_mapped)
            return str(ipaddress.ip_network((address, IPV6_CLIENT_PREFIX), strict=False).network_address)
        return str(address)
    return None


class CountedThrottle(BaseThrottle):
    """A DRF throttle allowing the number of requests a gallery setting names per hour, counted atomically.

    The hour starts with the first request counted; every request counts, refused ones too. DRF's own
    SimpleRateThrottle keeps its history in the cache without atomicity, so concurrent requests overshoot.
    """

    scope = None
    setting = None

    def ident(self, request):
        """Whose requests are counted together; None counts nothing."""
        return client_ip(request)

    def allow_request(self, request, view):
        ident = self.ident(request)
        if ident is None:
            self.hit = None
            return True
        self.hit = count_hit(f"{self.scope}:{ident}", HOUR)
        return self.hit.count <= getattr(settings, self.setting)

    def wait(self):
        return self.hit.seconds_left if self.hit else None


class UploadUserThrottle(CountedThrottle):
    """GALLERY_UPLOADS_PER_HOUR per logged-in user, whatever address they come from."""

    scope = "uploads_user"
    setting = "GALLERY_UPLOADS_PER_HOUR"

    def ident(self, request):
        return request.user.pk if request.user.is_authenticated else None


class UploadAddressThrottle(CountedThrottle):
    """GALLERY_UPLOADS_PER_HOUR_PER_IP per client address, logged in or not."""

    scope = "uploads_ip"
    setting = "GALLERY_UPLOADS_PER_HOUR_PER_IP"


class LoginAddressThrottle(CountedThrottle):
    """GALLERY_LOGINS_PER_HOUR_PER_IP log-in and sign-up forms sent per client address, right or wrong."""

    scope = "logins_ip"
    setting = "GALLERY_LOGINS_PER_HOUR_PER_IP"


UPLOAD_THROTTLES = (UploadUserThrottle, UploadAddressThrottle)
LOGIN_THROTTLES = (LoginAddressThrottle,)


def throttle_wait(request, throttle_classes):
    """Count a request; None while it is within every limit, else the whole seconds to wait (at least 1).

    As DRF's APIView.check_throttles does: every throttle counts the request, and the longest wait wins.
    """
    waits = []
    for throttle in (throttle_class() for throttle_class in throttle_classes):
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait())
    return max(1, math.ceil(max(waits))) if waits else None


def wait_message(seconds):
    """What to tell someone who must wait `seconds` before uploading again."""
    minutes = math.ceil(seconds / 60)
    return f"Too many uploads: try again in {minutes} minute{'s' if minutes != 1 else ''}."
