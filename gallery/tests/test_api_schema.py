"""The API's description: the OpenAPI schema, its docs and the browsable API, their icons, a summary and description
per operation."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_docs_and_browsable_api(client_for):
    client = client_for(None)

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/photos/"]) and {"get", "patch", "delete"} <= set(
        paths["/api/photos/{id}/"]
    )
    listed = paths["/api/photos/"]["get"]["responses"]["200"]
    list_schema = listed["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema.json()["components"]["schemas"][list_schema]["type"] == "array"
    assert "Link" in listed["headers"]
    assert "multipart/form-data" in paths["/api/photos/"]["post"]["requestBody"]["content"]

    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content, "Swagger UI's files are served locally"


def test_browsable_api_offers_an_upload_form(client_for, alice):
    browsable = client_for(alice).get("/api/photos/", HTTP_ACCEPT="text/html")

    assert browsable.status_code == 200 and b"Photo List" in browsable.content
    assert b'type="file"' in browsable.content and b'name="photo"' in browsable.content


@pytest.mark.parametrize("path", ["/api/docs/", "/api/", "/api/photos", "/api-auth/login/", "/admin/login/"])
def test_the_api_and_admin_pages_have_an_icon(client, path):
    """Each page's icon, or /favicon.ico where it names none (which browsers then ask for), answers an image."""
    page = client.get(path, HTTP_ACCEPT="text/html")
    named = re.search(r'<link rel="(?:shortcut )?icon" href="([^"]+)"', page.content.decode())

    icon = client.get(named.group(1) if named else "/favicon.ico")

    assert page.status_code == 200
    assert icon.status_code == 200 and icon["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}


def test_each_operation_has_its_own_summary_and_description(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    operations = [operation for methods in paths.values() for operation in methods.values()]

    assert len(operations) >= 5
    assert all(operation.get("summary") and operation.get("description") for operation in operations)
    assert len({operation["summary"] for operation in operations}) == len(operations)
    assert len({operation["description"] for operation in operations}) == len(operations)
    assert paths["/api/photos/{id}/"]["delete"]["summary"] == "Delete a photo"
    assert "S3" in paths["/api/photos/{id}/"]["delete"]["description"]
