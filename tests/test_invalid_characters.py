"""A NUL character anywhere a request carries text answers 400, on public pages, the API and the admin alike.

On PostgreSQL a NUL that reached a query ended as a 500 (12 admin URLs did); the middleware refuses
it before any view, so every URL below is refused on both databases.
"""

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db

PUBLIC_URLS = [
    "/projects/?q=%00",
    "/projects/?theme=%00",
    "/projects/?municipality=Asti%00",
    "/projects/?funder=%00&sort=title",
    "/projects/?%00=1",
    "/projects/export.csv?province=%00",
    "/projects/%00/",
    "/partners/?q=%00",
    "/api/projects/?funder=%00",
    "/api/municipalities/?q=%00",
]


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("amministratrice", password="x")


def admin_urls() -> list[str]:
    """Every model's change list with a NUL in its search and in each of its list filters' parameters."""
    urls = ["/admin/autocomplete/?term=%00&app_label=projects&model_name=project&field_name=related"]
    for model, model_admin in site._registry.items():
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls.append(f"{changelist}?q=%00")
        for list_filter in model_admin.list_filter:
            parameter = list_filter if isinstance(list_filter, str) else getattr(list_filter, "parameter_name", "")
            if parameter:
                urls.append(f"{changelist}?{parameter}=%00")
                urls.append(f"{changelist}?{parameter}__exact=%00")
    return urls


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_nul_in_a_public_request_answers_400(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert "Request not understood" in response.content.decode()


def test_every_admin_list_and_filter_answers_400_to_a_nul(client, superuser):
    client.force_login(superuser)

    statuses = {url: client.get(url).status_code for url in admin_urls()}

    assert len(statuses) > 20
    assert {url: status for url, status in statuses.items() if status != 400} == {}


def test_a_nul_in_a_login_form_answers_400_and_counts_no_failure(client):
    response = client.post("/admin/login/", {"username": "amministratrice\x00", "password": "x"})

    assert response.status_code == 400


def test_a_nul_in_a_cookie_answers_400(client):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"

    assert client.get("/projects/").status_code == 400


def test_text_without_nul_still_passes(client):
    assert client.get("/projects/?q=citt%C3%A0%01").status_code == 200
