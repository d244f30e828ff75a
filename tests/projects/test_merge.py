"""Merging organisations (projects.services.merging and the admin's merge): roles moved, spellings kept,
details filled, duplicates deleted, the public index rebuilt, all in one change set that can be undone."""

import pytest
from django.contrib.auth.models import Permission, User

from partners.models import Partner, SimilarPair
from projects.models import Participation
from projects.services import MergeRefused, partners_merge
from registry.enums import ChangeKind, Role
from registry.history import change_set_undo
from registry.models import ChangeSet
from tests.factories import MARKER, make_partner, make_project, word
from tests.pages import export_json

pytestmark = pytest.mark.django_db

MERGE_URL = "/admin/partners/partner/merge/"


def superuser() -> User:
    return User.objects.create_superuser(f"admin-{word()}", password="x")


def roles(partner: Partner) -> list[tuple[int, str]]:
    return sorted(Participation.objects.filter(partner=partner).values_list("project", "role"))


@pytest.fixture
def three():
    """One organisation stored three times, each named by its own projects."""
    distinct = f"{word()} {word()}"
    kept = make_partner(name=f"{MARKER} Cooperativa sociale Il Ponte {distinct}", other_names="Il Ponte")
    second = make_partner(
        name=f"{MARKER} Coop. Sociale Il Ponte {distinct}",
        other_names="Ponte Coop",
        city="Brescia",
        website="https://example.org/ponte",
        sources=[{"title": "Scheda", "url": "https://example.org/a", "accessed": "2026-01-31"}],
    )
    third = make_partner(
        name=f"{MARKER} Il Ponte {distinct} onlus",
        city="Milano",
        tax_code="01234567890",
        sources=[
            {"title": "Scheda", "url": "https://example.org/a", "accessed": "2026-01-31"},
            {"title": "Altra", "url": "https://example.org/b", "accessed": "2026-01-31"},
        ],
    )
    return kept, second, third


def test_the_merge_moves_every_role_keeps_the_spellings_and_deletes_the_duplicates(three):
    kept, second, third = three
    own = make_project(lead=kept)
    led = make_project(lead=second)
    partnered = make_project(partners=[third], supporting=[second])
    result = partners_merge(keep=kept, duplicates=[second, third], user=superuser())
    assert roles(kept) == sorted(
        [(own.pk, Role.LEAD), (led.pk, Role.LEAD), (partnered.pk, Role.PARTNER), (partnered.pk, Role.SUPPORTING)]
    )
    assert not Partner.objects.filter(pk__in=[second.pk, third.pk]).exists()
    kept.refresh_from_db()
    assert kept.other_names_list == ["Il Ponte", second.name, "Ponte Coop", third.name]
    assert result.merged == [second.name, third.name] and result.projects == sorted([led.pk, partnered.pk])


def test_the_kept_organisation_takes_the_details_it_lacks_and_every_source_once(three):
    kept, second, third = three
    partners_merge(keep=kept, duplicates=[second, third], user=superuser())
    kept.refresh_from_db()
    assert (kept.city, kept.website, kept.tax_code) == ("Brescia", "https://example.org/ponte", "01234567890")
    assert [source["url"] for source in kept.sources] == ["https://example.org/a", "https://example.org/b"]


def test_a_project_naming_both_in_the_same_role_keeps_one_row_with_the_texts_of_both(three):
    kept, second, third = three
    project = make_project(lead=second, partners=[kept, third], units={third: "Ufficio Stranieri"})
    Participation.objects.filter(project=project, partner=kept).update(description="Accoglienza")
    partners_merge(keep=kept, duplicates=[second, third], user=superuser())
    rows = list(Participation.objects.filter(project=project).values_list("partner", "role", "description", "unit"))
    assert sorted(rows) == sorted(
        [(kept.pk, Role.LEAD, "", ""), (kept.pk, Role.PARTNER, "Accoglienza", "Ufficio Stranieri")]
    )


def test_the_public_list_filtered_by_the_kept_organisation_shows_the_projects_of_the_merged_ones(client, three):
    kept, second, third = three
    projects = [make_project(lead=kept), make_project(lead=second), make_project(partners=[third])]
    assert len(export_json(client, {"partner": kept.slug})) == 1
    partners_merge(keep=kept, duplicates=[second, third], user=superuser())
    listed = export_json(client, {"partner": kept.slug})
    assert sorted(record["slug"] for record in listed) == sorted(project.slug for project in projects)
    assert export_json(client, {"q": "Coop"}) is not None  # the index still answers after the deletions


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ("itself", "cannot be merged with itself"),
        ("nothing", "at least two"),
    ],
)
def test_a_merge_with_itself_or_of_fewer_than_two_is_refused_and_changes_nothing(three, choice, message):
    kept, second, _third = three
    project = make_project(lead=second)
    duplicates = {"itself": [kept, second], "nothing": []}[choice]
    with pytest.raises(MergeRefused, match=message):
        partners_merge(keep=kept, duplicates=duplicates, user=superuser())
    assert roles(second) == [(project.pk, Role.LEAD)]
    assert Partner.objects.get(pk=kept.pk).other_names == "Il Ponte"


def test_a_merge_that_would_leave_an_invalid_organisation_is_refused_and_changes_nothing(three):
    kept, second, _third = three
    Partner.objects.filter(pk=second.pk).update(country="1X")  # stored before the rule, as an old import might
    project = make_project(lead=second)
    with pytest.raises(MergeRefused, match="would not be valid"):
        partners_merge(keep=kept, duplicates=[second], user=superuser())
    assert roles(second) == [(project.pk, Role.LEAD)]
    assert Partner.objects.get(pk=kept.pk).country == "" and not ChangeSet.objects.filter(kind=ChangeKind.MERGE)


def test_two_organisations_leading_one_project_each_give_one_organisation_leading_both(three):
    kept, second, _third = three
    first, other = make_project(lead=kept), make_project(lead=second, partners=[kept])
    partners_merge(keep=kept, duplicates=[second], user=superuser())
    leads = Participation.objects.filter(project__in=[first, other], role=Role.LEAD)
    assert sorted(leads.values_list("project", "partner")) == sorted([(first.pk, kept.pk), (other.pk, kept.pk)])


# --- the admin ------------------------------------------------------------------------------------------------


def test_the_admin_merges_and_offers_to_undo(client, three):
    kept, second, third = three
    make_project(lead=second)
    client.force_login(superuser())
    response = client.post(
        MERGE_URL,
        {"keep": kept.pk, "merge": [kept.pk, second.pk, third.pk], "next": "/admin/partners/partner/duplicates/"},
        follow=True,
    )
    assert response.redirect_chain == [("/admin/partners/partner/duplicates/", 302)]
    change = ChangeSet.objects.get(kind=ChangeKind.MERGE)
    assert f'href="/admin/registry/changeset/{change.pk}/undo/"' in response.content.decode()
    assert list(Partner.objects.filter(pk__in=[kept.pk, second.pk, third.pk])) == [kept]


def test_a_user_who_may_not_change_organisations_is_refused_with_403_and_nothing_changes(client, three):
    kept, second, _third = three
    project = make_project(lead=second)
    reader = User.objects.create_user(f"reader-{word()}", password="x", is_staff=True)
    reader.user_permissions.set(Permission.objects.filter(content_type__app_label="partners", codename="view_partner"))
    client.force_login(reader)
    response = client.post(MERGE_URL, {"keep": kept.pk, "merge": [second.pk]})
    assert response.status_code == 403
    assert roles(second) == [(project.pk, Role.LEAD)] and not ChangeSet.objects.filter(kind=ChangeKind.MERGE)


def test_a_refused_merge_answers_400_with_the_reason_and_a_vanished_organisation_404(client, three):
    kept, second, _third = three
    client.force_login(superuser())
    refused = client.post(MERGE_URL, {"keep": kept.pk, "merge": [kept.pk]})
    assert refused.status_code == 400 and "at least two" in refused.content.decode()
    assert client.post(MERGE_URL, {"keep": "x", "merge": [second.pk]}).status_code == 400
    gone = client.post(MERGE_URL, {"keep": kept.pk, "merge": [second.pk, 10**9]})
    assert gone.status_code == 404 and Partner.objects.filter(pk=second.pk).exists()
    assert client.get(MERGE_URL).status_code == 405


def test_the_list_action_asks_which_organisation_to_keep(client, three):
    kept, second, third = three
    user = User.objects.create_user(f"merger-{word()}", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="partners", codename__in=["view_partner", "change_partner"])
    )
    client.force_login(user)
    selected = [second.pk, third.pk, kept.pk]
    response = client.post(
        "/admin/partners/partner/", {"action": "merge_selected", "_selected_action": selected}, follow=True
    )
    assert response.status_code == 200
    assert response.templates[0].name == "admin/partners/partner/merge.html"
    assert {partner.pk for partner in response.context["partners"]} == set(selected)
    one = client.post(
        "/admin/partners/partner/", {"action": "merge_selected", "_selected_action": [kept.pk]}, follow=True
    )
    assert "at least two" in one.content.decode() and Partner.objects.filter(pk=kept.pk).exists()


# --- the history ----------------------------------------------------------------------------------------------


def test_the_merge_is_one_change_set_and_undoing_it_brings_the_organisations_back(three):
    kept, second, third = three
    project = make_project(lead=second, partners=[third])
    before = ChangeSet.objects.count()
    result = partners_merge(keep=kept, duplicates=[second, third], user=superuser())
    assert ChangeSet.objects.count() == before + 1
    change = result.change_set
    assert change.kind == ChangeKind.MERGE and second.name in change.label and kept.name in change.label
    deleted = Partner.history.filter(change_set=change, history_type="-")
    assert sorted(deleted.values_list("id", flat=True)) == sorted([second.pk, third.pk])
    assert Partner.history.filter(change_set=change, history_type="~", id=kept.pk).exists()
    assert project.history.filter(change_set=change).exists()
    change_set_undo(change, user=superuser())
    assert roles(Partner.objects.get(pk=second.pk)) == [(project.pk, Role.LEAD)]
    assert roles(Partner.objects.get(pk=third.pk)) == [(project.pk, Role.PARTNER)]
    assert Partner.objects.get(pk=kept.pk).other_names == "Il Ponte"
    # Re-created organisations find their pairs again, so the page lists them as before the merge.
    assert SimilarPair.objects.filter(first__in=[kept, second, third], second__in=[kept, second, third]).count() == 3
