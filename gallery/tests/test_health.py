"""The health check (/healthz) and the API with its database down: 200 or 503 naming what failed, in JSON."""

import json

import pytest
from django.test import override_settings

from gallery.tests.support import (
    run_django_without_database,
    storages_with,
)

pytestmark = pytest.mark.django_db


def test_healthz_ok(client_for):
    response = client_for(None).get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_healthz_names_the_storage_when_it_fails(client_for):
    with override_settings(STORAGES=storages_with(secret_key="wrong")):
        response = client_for(None).get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "storage": "unavailable"}


def test_database_down_gets_503_in_json(tmp_path):
    """A fresh process whose database port is closed: the API and the health check answer 503, never a 500."""
    code = """
import json, django
django.setup()
from django.test import Client
client = Client()
print(json.dumps([(r.status_code, r.json()) for r in (client.get("/api/photos"), client.get("/healthz"))]))
"""
    result = run_django_without_database(code, tmp_path)

    assert result.returncode == 0, result.stderr
    (listed, listed_body), (health, health_body) = json.loads(result.stdout)
    assert (listed, listed_body) == (503, {"detail": "The database is unavailable; try again later."})
    assert (health, health_body) == (503, {"status": "unavailable", "database": "unavailable", "storage": "ok"})
