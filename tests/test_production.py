"""Production mode (DJANGO_ENV=production), the security headers, the login's rate limit and gunicorn."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory

from registry.security import client_address

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "una-password-lunga-2026"


def manage(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_environment(**more: str) -> dict[str, str]:
    return {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "registro.example.org",
        **more,
    }


def test_check_deploy_is_silent_with_just_the_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_environment())
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_key_or_hosts(missing, tmp_path):
    environment = production_environment()
    del environment[missing]
    result = manage("check", **environment)
    assert result.returncode != 0
    assert f"DJANGO_ENV=production needs {missing}" in result.stderr


def test_production_turns_debug_off_whatever_debug_says():
    code = "from django.conf import settings as s; print(s.DEBUG, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)"
    result = manage("shell", "-c", code, **production_environment(DEBUG="1"))
    assert result.stdout.split()[-3:] == ["False", "31536000", "True"], result.stderr


def test_an_unknown_environment_name_is_refused():
    result = manage("check", DJANGO_ENV="prod")
    assert result.returncode != 0 and "write development or production" in result.stderr


def test_every_response_carries_the_security_headers(client, db):
    for path in ("/projects/", "/api/v1/projects/", "/admin/login/", "/projects/export.csv?theme=nessuno"):
        response = client.get(path)
        assert response["Content-Security-Policy"].startswith("default-src 'self'"), path
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert response["X-Frame-Options"] == "DENY"
    # Open data may be read by other sites' pages; the rest stays the site's own.
    assert client.get("/api/v1/projects/")["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert client.get("/projects/")["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy trusted: the header is the client's own word
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # what the client put first is not believed
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "", "10.0.0.1"),
    ],
)
def test_the_clients_address_is_read_through_the_trusted_proxies_only(settings, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def login(client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def editor(db):
    return User.objects.create_user("redattrice", password=PASSWORD, is_staff=True)


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(client, editor, settings):
    assert [login(client, "redattrice", f"sbagliata-{n}").status_code for n in range(5)] == [200] * 4 + [429]
    response = login(client, "redattrice", PASSWORD, address="192.0.2.50")  # another address: the account is locked
    assert response.status_code == 429
    text = response.content.decode()
    assert "15 minut" in text and "axes_reset_username" in text
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_after_five_failures_on_any_accounts(client, editor):
    for n in range(5):
        login(client, f"sconosciuto-{n}", "x")
    assert login(client, "redattrice", PASSWORD).status_code == 429
    assert login(client, "redattrice", PASSWORD, address="192.0.2.51").status_code == 302  # from elsewhere


def test_the_command_lifts_the_lockout(client, editor):
    for n in range(6):
        login(client, "redattrice", f"sbagliata-{n}")
    call_command("axes_reset_username", "redattrice")
    call_command("axes_reset_ip", "198.51.100.7")
    response = login(client, "redattrice", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_a_success_before_the_limit_starts_the_count_again(client, editor):
    for _ in range(2):
        for n in range(4):
            assert login(client, "redattrice", f"sbagliata-{n}").status_code == 200
        assert login(client, "redattrice", PASSWORD).status_code == 302
        client.logout()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_gunicorn_serves_production_with_https_headers_and_long_lived_static_files(tmp_path):
    """The README's production setup: collected files, gunicorn.conf.py, behind a proxy that sets the headers."""
    environment = production_environment(
        ALLOWED_HOSTS="registro.example.org",
        STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'registro.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{free_port()}",
        WEB_CONCURRENCY="1",
    )
    assert manage("collectstatic", "--noinput", "-v0", **environment).returncode == 0
    env = {**{k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}, **environment}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "registry.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://{environment['GUNICORN_BIND']}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = fetch(base + "/healthz", Host="registro.example.org")
                break
            except urllib.error.URLError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        assert health.status == 200  # over plain HTTP: the load balancer's probe
        plain = fetch(base + "/admin/login/", Host="registro.example.org")
        assert (plain.status, plain.headers["Location"]) == (301, "https://registro.example.org/admin/login/")
        secure = fetch(base + "/admin/login/", Host="registro.example.org", **{"X-Forwarded-Proto": "https"})
        assert secure.status == 200
        assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert "script-src 'self'" in secure.headers["Content-Security-Policy"]
        assert "Secure" in secure.headers["Set-Cookie"]  # the CSRF cookie
        assert fetch(base + "/admin/login/", Host="evil.example.net").status == 400
        stylesheet = next((tmp_path / "static" / "css").glob("registry.*.css"))  # the hashed name
        static = fetch(
            f"{base}/static/css/{stylesheet.name}", Host="registro.example.org", **{"X-Forwarded-Proto": "https"}
        )
        assert static.status == 200
        assert static.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    assert "Booting worker" in log and "GET /healthz" in log  # gunicorn.conf.py's access log
