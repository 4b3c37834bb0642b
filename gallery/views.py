"""Plain Django views: the health check."""

import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from gallery.storage import StorageUnavailable, check_bucket

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """200 when the database and the bucket answer; 503 naming what failed otherwise."""
    checks = {"database": "ok", "storage": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("health check: database unavailable: %s", error)
        checks["database"] = "unavailable"
    try:
        check_bucket()
    except StorageUnavailable:
        checks["storage"] = "unavailable"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
