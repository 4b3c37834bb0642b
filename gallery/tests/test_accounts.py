"""Accounts on the pages: signing up (its errors, closing it, names that look like another's), logging in and out."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_sign_up_logs_in_and_leads_to_the_upload_page(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "newcomer", "password1": "correct horse battery", "password2": "correct horse battery"},
        follow=True,
    )

    assert response.redirect_chain == [("/upload/", 302)]
    assert "Welcome, newcomer." in response.text
    assert "Signed in as </span><strong>newcomer</strong>" in response.text


def test_sign_up_errors_are_shown_beside_the_fields(client):
    response = client.post("/accounts/signup/", {"username": "x", "password1": "123", "password2": "321"})

    assert 'id="id_password2_errors"' in response.text
    assert not get_user_model().objects.exists()


def test_sign_up_can_be_closed(client, settings):
    settings.GALLERY_OPEN_SIGNUP = False

    assert client.get("/accounts/signup/").status_code == 404
    assert "/accounts/signup/" not in client.get("/").text


def test_log_in_and_log_out(client, alice):
    logged_in = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"}, follow=True)
    refused_get = client.get("/accounts/logout/")
    logged_out = client.post("/accounts/logout/", follow=True)

    assert logged_in.redirect_chain == [("/", 302)] and "<strong>alice</strong>" in logged_in.text
    assert refused_get.status_code == 405
    assert logged_out.redirect_chain == [("/", 302)] and "Log in" in logged_out.text


def test_wrong_password_is_said_on_the_login_page(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert "Please enter a correct username and password" in response.text


def sign_up(client, username):
    password = "correct horse battery staple"
    return client.post("/accounts/signup/", {"username": username, "password1": password, "password2": password})


@pytest.mark.parametrize(
    "username",
    [
        "\u0430lice",  # Cyrillic а, then Latin: mixed scripts that look alike
        "\u0430\u0440\u0435",  # all Cyrillic, spelling the existing "ape" in look-alike letters
        "ALICE",
    ],
)
def test_sign_up_refuses_a_username_that_looks_like_another(client, make_user, username):
    make_user("alice")
    make_user("ape")

    response = sign_up(client, username)

    assert response.status_code == 200
    assert "looks like another one" in response.text or "already exists" in response.text
    assert get_user_model().objects.count() == 2


@pytest.mark.parametrize("username", ["борис", "Ελένη", "zoë", "ali.ce"])
def test_sign_up_takes_names_in_one_script_that_look_like_nobody(client, make_user, username):
    make_user("alice")

    assert sign_up(client, username).status_code == 302
    assert get_user_model().objects.filter(username=username).exists()
