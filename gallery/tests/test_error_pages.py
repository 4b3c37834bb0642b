"""The site's error pages: 500 and 503 render without a request or the database, and the database down shows the 503
page."""

import json

import pytest
from django.template.loader import render_to_string

from gallery.tests.support import run_django_without_database

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("template", ["500.html", "503.html"])
def test_server_error_pages_render_without_a_request_or_the_database(template, django_assert_num_queries):
    # Django renders 500.html with no context at all; both pages must not need the database that may be down.
    with django_assert_num_queries(0):
        html = render_to_string(template)

    assert "Log out" not in html and "Log in" not in html
    assert 'href="/"' in html


def test_database_down_shows_the_sites_503_page(tmp_path):
    """A fresh process whose database port is closed: the pages answer with the site's 503 page, not a traceback."""
    code = """
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
print(json.dumps([(r.status_code, r.content.decode()) for r in (client.get("/"), client.get("/photos/1/"))]))
"""
    result = run_django_without_database(code, tmp_path)

    assert result.returncode == 0, result.stderr
    for status, html in json.loads(result.stdout):
        assert status == 503
        assert "The gallery is briefly unavailable" in html and "Traceback" not in html
