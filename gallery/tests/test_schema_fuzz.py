"""The API fuzzed from its own OpenAPI schema by schemathesis: never a 5xx, and every answer as documented."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gallery.counters import RateCount
from gallery.models import Photo
from gallery.tests.support import image_bytes
from photosite.wsgi import application

# Examples per operation; enough to reach every status each one documents.
EXAMPLES = 30

# Loaded through the app itself: the schema view reads no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


# Transactional: each request commits as on a real server, so one failed query cannot poison the next.
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(case, alice, upload, client_for):
    """As alice (token), with the photo ids aimed at a photo of hers, so edits and deletes really happen."""
    # Every example's upload counts against the hourly limits (POST /api/photos and /api/uploads share them):
    # start each from none, so that the examples, and the tests after them, are not refused for the count.
    RateCount.objects.all().delete()
    token = client_for(alice)._credentials["HTTP_AUTHORIZATION"]
    if isinstance(case.path_parameters, dict) and isinstance(case.path_parameters.get("id"), int):
        photo = Photo.objects.filter(owner=alice).first()
        if photo is None:
            photo = Photo.objects.get(pk=upload(image_bytes()).json()["id"])
        case.path_parameters["id"] = photo.pk

    case.call_and_validate(
        # Schemathesis's WSGI transport does not undo gzip (PageGZipMiddleware), as every HTTP client does.
        headers={"Authorization": token, "Accept-Encoding": "identity"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
