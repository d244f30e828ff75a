"""Probable duplicate organisations: the matching key, trigram similarity as pg_trgm computes it, the pairs kept
as names change, their groups and reasons, the admin's page, and the importer's "did you mean"."""

import importlib
import itertools

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from partners.duplicates import DuplicateGroups, name_pairs, pairs_refresh, similar_names
from partners.models import Partner, SimilarPair
from partners.similarity import name_key, similar_pairs, similar_to, similarity
from projects.names import fold_name
from projects.services import records_create
from tests.commands import run_command
from tests.factories import MARKER, make_partner, make_project, word

from .test_import import row, run, sheet_bytes

SPELLINGS = (
    "Coop. Sociale Il Ponte {w}",
    "Cooperativa sociale il Ponte {w} onlus",
    "IL PONTE {w} Società Cooperativa Sociale O.N.L.U.S.",
)
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm needs PostgreSQL")


def distinct() -> str:
    """Two words no other name has: one would leave test names too alike through their common "fxw" start."""
    return f"{word()} {word()}"


def spellings(**fields) -> list[Partner]:
    """One organisation stored three times, as three sheets wrote it."""
    distinct_words = distinct()
    return [make_partner(name=f"{MARKER} " + spelling.format(w=distinct_words), **fields) for spelling in SPELLINGS]


def group_of(pk: int, groups) -> set[int]:
    return next(set(group.members) for group in groups if pk in group.members)


def groups_with(pks) -> list:
    """The groups of probable duplicates, in order, that hold any of these organisations."""
    pks = set(pks)
    return [group for group in DuplicateGroups()[:] if pks & set(group.members)]


# --- the key and the similarity (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Coop. Sociale Il Ponte",
        "Cooperativa sociale il Ponte onlus",
        "IL PONTE Società Cooperativa Sociale O.N.L.U.S.",
        "Il Ponte s.c.s.",
        "Il Ponte Impresa Sociale S.r.l.",
        "Soc. Coop. a r.l. Il Ponte",
        "Il Ponte APS-ETS",
    ],
)
def test_the_legal_form_articles_and_punctuation_drop_out_of_the_key(name):
    assert name_key(name) == "ponte"


def test_abbreviations_are_spelled_out_and_a_name_that_is_only_a_legal_form_keeps_it():
    assert name_key("Ass. PIAM onlus") == name_key("Associazione PIAM") == name_key("PIAM APS") == "piam"
    assert name_key("Cooperativa sociale") == "cooperativa sociale"


@pytest.mark.parametrize(
    ("name", "key"),
    [("Comune di Forlì", "comune forli"), ("CITTÀ DI TORINO", "citta torino"), ("Chiusano d’Asti", "chiusano asti")],
)
def test_the_key_folds_case_accents_and_apostrophes_as_the_registry_compares_names(name, key):
    assert name_key(name) == key
    assert set(key.split()) <= set(fold_name(name).split())


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    # As PostgreSQL's pg_trgm answers: SELECT similarity('word', 'two words') is 0.36363637.
    [("word", "two words", 0.36363637), ("ponte", "ponti", 0.5), ("ponte", "ponte", 1.0), ("", "ponte", 0.0)],
)
def test_similarity_is_pg_trgms(first, second, expected):
    assert similarity(first, second) == pytest.approx(expected, abs=1e-7)


names = st.lists(st.text(alphabet="abcdeno ", min_size=1, max_size=12), min_size=2, max_size=25)


@settings(max_examples=200, deadline=None)
@given(names=names, threshold=st.sampled_from([0.3, 0.5, 0.7, 1.0]))
def test_the_inverted_index_finds_exactly_the_pairs_comparing_all_would(names, threshold):
    keys = list(enumerate(names))
    every = {}
    for (a, first), (b, second) in itertools.combinations(keys, 2):
        if similarity(first, second) >= threshold:
            every[a, b] = similarity(first, second)
    assert similar_pairs(keys, threshold) == every
    found = similar_to(names, keys, threshold)
    assert all(found[a][b] == every[min(a, b), max(a, b)] for a in range(len(names)) for b in found[a] if a != b)
    assert all(b in found[a] and a in found[b] for a, b in every)


# --- pairs and groups ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_three_spellings_are_found_as_one_group():
    partners = spellings()
    groups = groups_with(partner.pk for partner in partners)
    assert [set(group.members) for group in groups] == [{partner.pk for partner in partners}]
    assert groups[0].evidence.names == 1.0


@pytest.mark.django_db
def test_an_unrelated_pair_is_not_listed():
    first = make_partner(name=f"{MARKER} Fondazione Cassa di Risparmio {distinct()}")
    second = make_partner(name=f"{MARKER} Comune di Nizza Monferrato {distinct()}")
    assert not SimilarPair.objects.filter(first__in=[first, second], second__in=[first, second]).exists()
    assert groups_with([first.pk, second.pk]) == []


@pytest.mark.django_db
def test_an_other_name_makes_a_pair_with_a_name():
    acronym = word().upper()
    full = make_partner(name=f"{MARKER} Centro Interculturale {distinct()}", other_names=f"{acronym}\nCI")
    short = make_partner(name=f"{acronym} onlus")
    assert group_of(short.pk, DuplicateGroups()[:]) == {full.pk, short.pk}


@pytest.mark.django_db
def test_the_same_city_and_projects_in_common_are_reasons_that_rank_a_group_higher():
    alone = spellings()
    together = spellings(city="Brescia")
    for _ in range(3):
        make_project(partners=together[:2])
    groups = groups_with(partner.pk for partner in alone + together)
    assert [set(group.members) for group in groups] == [{p.pk for p in together}, {p.pk for p in alone}]
    assert groups[0].evidence.reasons() == ["similar names 1.00", "same city: Brescia", "3 projects in common"]
    assert groups[1].evidence.reasons() == ["similar names 1.00"]
    assert groups[0].score > groups[1].score


@pytest.mark.django_db
def test_a_renamed_organisation_leaves_its_pairs_and_finds_new_ones():
    first, second, third = spellings()
    second.name = f"{MARKER} Fondazione Altro Nome {word()}"
    second.save(update_fields=["name"])
    assert group_of(first.pk, DuplicateGroups()[:]) == {first.pk, third.pk}
    assert not SimilarPair.objects.filter(first=second).exists() and not SimilarPair.objects.filter(second=second)


@pytest.mark.django_db
def test_organisations_created_in_bulk_get_their_key_and_pairs():
    words = distinct()
    stored = make_partner(name=f"{MARKER} Cooperativa sociale La Rete {words}")
    created = [Partner(name=f"{MARKER} La Rete {words} onlus"), Partner(name=f"{MARKER} APS La Rete {words}")]
    records_create(model=Partner, records=created)
    assert [partner.name_key for partner in Partner.objects.filter(pk__in=[p.pk for p in created])] == [
        name_key(created[0].name)
    ] * 2
    assert group_of(stored.pk, DuplicateGroups()[:]) == {stored.pk, *(partner.pk for partner in created)}


@pytest.mark.django_db
def test_the_stored_pairs_are_those_found_comparing_every_name():
    spellings()
    make_partner(name=f"{MARKER} Centro {word()}", other_names="Ass. PIAM onlus")
    stored = {(pair.first_id, pair.second_id): pair.similarity for pair in SimilarPair.objects.all()}
    found = name_pairs()
    assert stored.keys() == found.keys()
    assert all(stored[pair] == pytest.approx(found[pair], abs=1e-6) for pair in found)


@pytest.mark.django_db
def test_the_migration_fills_the_keys_and_pairs_of_organisations_stored_before_it():
    migration = importlib.import_module("partners.migrations.0004_partner_name_key")
    partners = spellings()
    Partner.objects.filter(pk__in=[p.pk for p in partners]).update(name_key="")
    SimilarPair.objects.all().delete()
    migration.fill_keys(django_apps, None)
    migration.fill_pairs(django_apps, None)
    assert {partner.name_key for partner in Partner.objects.filter(pk__in=[p.pk for p in partners])} == {
        name_key(partners[0].name)
    }
    assert set(SimilarPair.objects.values_list("first", "second")) == set(name_pairs())
    assert group_of(partners[0].pk, DuplicateGroups()[:]) == {partner.pk for partner in partners}


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_postgresql_and_the_inverted_index_find_the_same_pairs_in_the_seed(threshold):
    assert Partner.objects.count() > 50  # the seed's organisations, nothing added
    in_postgresql = name_pairs(threshold, method="postgresql")
    in_python = name_pairs(threshold, method="python")
    assert in_postgresql.keys() == in_python.keys()
    assert all(in_postgresql[pair] == pytest.approx(in_python[pair], abs=1e-6) for pair in in_python)
    if threshold == 0.3:
        assert len(in_python) > 5  # enough pairs for the comparison to mean something


@postgresql_only
@pytest.mark.django_db
def test_refreshing_pairs_through_the_trigram_index_finds_what_python_finds():
    partners = spellings()
    pairs_refresh([partner.pk for partner in partners])
    stored = set(SimilarPair.objects.values_list("first", "second"))
    assert stored == set(name_pairs(method="python"))


# --- the admin's page ---------------------------------------------------------------------------------------


PAGE = "/admin/partners/partner/duplicates/"


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser(f"admin-{word()}", password="x"))
    return client


@pytest.mark.django_db
def test_the_page_shows_each_group_with_names_other_names_cities_counts_links_and_a_merge_form(superuser_client):
    partners = spellings(city="Brescia", other_names="Ponte Brescia")
    make_project(partners=partners[:1])
    response = superuser_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    for partner in partners:
        assert f'href="/admin/partners/partner/{partner.pk}/change/"' in html
        assert f'name="merge" value="{partner.pk}"' in html
    assert 'action="/admin/partners/partner/merge/"' in html
    group = next(group for group in response.context["groups"] if partners[0] in group["members"])
    assert group["members"][0] == partners[0]  # the one in a project is offered as the one to keep
    assert group["reasons"] == ["similar names 1.00", "same city: Brescia"]
    assert [partner.project_count for partner in group["members"]] == [1, 0, 0]


@pytest.mark.django_db
def test_the_page_is_paged_and_a_page_past_the_last_is_404(superuser_client):
    spellings()
    assert superuser_client.get(PAGE, {"page": 999}).status_code == 404
    assert superuser_client.get(PAGE, {"page": "x"}).status_code == 404


@pytest.mark.django_db
def test_an_editor_sees_the_merge_form_and_a_reader_sees_the_duplicates_without_it(client):
    editor = User.objects.create_user(f"editor-{word()}", password="x", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    reader = User.objects.create_user(f"reader-{word()}", password="x", is_staff=True)
    reader.user_permissions.set(Permission.objects.filter(content_type__app_label="partners", codename="view_partner"))
    spellings()
    client.force_login(editor)
    assert 'name="merge"' in client.get(PAGE).content.decode()
    client.force_login(reader)
    response = client.get(PAGE)
    assert response.status_code == 200 and response.context["groups"]
    assert 'name="merge"' not in response.content.decode()


@pytest.mark.django_db
def test_the_organisation_list_links_to_the_page(superuser_client):
    assert f'href="{PAGE}"' in superuser_client.get("/admin/partners/partner/").content.decode()


# --- the importer's suggestions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_similar_names_offers_up_to_three_close_stored_names_closest_first():
    partners = spellings()
    name = partners[0].name.replace("Coop. Sociale", "APS")
    assert similar_names([name, f"{MARKER} Nulla di simile {distinct()}"]) == {name: [p.name for p in partners]}


@pytest.mark.django_db
def test_the_import_suggests_the_stored_organisation_for_a_close_new_name(tmp_path):
    words = distinct()
    stored = make_partner(name=f"{MARKER} Cooperativa sociale Il Mosaico {words}")
    new_name = f"{MARKER} Il Mosaico {words} ODV"
    code, out, err = run(tmp_path, sheet_bytes([row(Capofila=new_name, Partner="")]), "--dry-run")
    assert code == 0, err
    assert f"New organisation {new_name}: did you mean {stored.name}?" in out


@pytest.mark.django_db
def test_a_real_import_suggests_before_writing_and_the_stored_name_is_not_new_again(tmp_path):
    words = distinct()
    stored = make_partner(name=f"{MARKER} Associazione Il Faro {words}")
    new_name = f"{MARKER} Il Faro {words} APS"
    code, out, _err = run(tmp_path, sheet_bytes([row(Capofila=new_name, Partner="")]))
    assert code == 0
    assert f"did you mean {stored.name}?" in out
    assert Partner.objects.filter(name=new_name).exists()
    code, out, _err = run_command("import_projects", str(tmp_path / "schede.csv"))
    assert "did you mean" not in out  # stored now: matched, not new
