"""projects/services: the one write layer the seed, sheet imports and the admin share."""

import pytest
from django.core.exceptions import ValidationError

from partners.models import Partner
from projects.models import Funder, Participation, Programme, Project
from projects.names import fold_name, title_keys
from projects.services import (
    AmbiguousName,
    ParticipationInput,
    ProjectBatch,
    ProjectIndex,
    ProjectInput,
    ProjectKeys,
    ProjectMatchError,
    RecordIndex,
    project_match,
    project_upsert,
    record_match,
    slugs_allocate,
)
from projects.services.bulk import chunked
from projects.services.projects import stored_links_of
from registry.enums import Reach, Role
from tests.factories import (
    MARKER,
    make_funder,
    make_partner,
    make_programme,
    make_project,
    make_territory,
    unique,
)

pytestmark = pytest.mark.django_db


def write(*inputs: ProjectInput, publish: bool = False) -> list:
    batch = ProjectBatch(list(inputs), publish=publish)
    changes = [batch.plan(item) for item in inputs]
    assert not batch.has_errors, [change.errors for change in changes]
    batch.write()
    return changes


# --- names and keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Comune di  Modena", "COMUNE DI MODENA"),
        ("Ministero dell’Interno", "Ministero dell'Interno"),
        ("INTARSI – Azioni in rete", "intarsi - azioni in rete"),
        ("Città di Torino", "Citta di Torino"),
    ],
)
def test_a_name_written_two_ways_folds_to_one_key(one, other):
    assert fold_name(one) == fold_name(other)


def test_a_title_that_starts_with_its_acronym_has_one_key():
    assert title_keys("INTARSI - Azioni in rete", "INTARSI") == ("intarsi azioni in rete", "")


def test_a_title_without_its_acronym_is_also_keyed_with_it_in_front():
    assert title_keys("Azioni in rete", "INTARSI") == ("azioni in rete", "intarsi azioni in rete")


def test_saving_a_project_keeps_its_title_keys_current():
    project = make_project(title=f"{MARKER} Prima", acronym="PR")
    project.title = f"{MARKER} Seconda"
    project.save(update_fields=["title"])
    project.refresh_from_db()

    assert (project.title_key, project.acronym_title_key) == title_keys(project.title, "PR")


# --- matching records ----------------------------------------------------------------------------


def test_a_record_is_found_by_its_exact_name_before_its_folded_name():
    exact, twin = make_partner(f"{MARKER} Alba Onlus"), make_partner(f"{MARKER} ALBA ONLUS")
    index = RecordIndex.load(Partner)

    assert (index.find(exact.name), index.find(twin.name)) == (exact, twin)


def test_a_name_that_folds_like_two_records_is_ambiguous_not_guessed():
    make_partner(f"{MARKER} Alba Onlus"), make_partner(f"{MARKER} ALBA ONLUS")

    with pytest.raises(AmbiguousName, match="could be any of"):
        record_match(model=Partner, name=f"{MARKER} alba   onlus")


def test_a_programme_is_found_by_its_short_name_after_every_full_name():
    programme = make_programme(f"{MARKER} Fondo lungo", short_name=f"{MARKER} FL")

    assert record_match(model=Programme, name=f"{MARKER} fl") == programme


# --- matching projects ---------------------------------------------------------------------------


def test_a_project_is_found_by_its_title_written_another_way():
    project = make_project(title=f"{MARKER} Abitare – insieme, a Città di Prova")

    match = project_match(keys=ProjectKeys(title=f"{MARKER.lower()} ABITARE - insieme, a citta di prova"))

    assert (match.project, match.matched_by) == (project, "title")


def test_a_project_titled_with_its_acronym_in_front_is_found_by_the_title_and_the_acronym_apart():
    project = make_project(title=f"{MARKER}X - Abitare insieme", acronym=f"{MARKER}X")

    match = project_match(keys=ProjectKeys(title="Abitare insieme", acronym=f"{MARKER}X"))

    assert match.project == project


def test_a_project_with_its_acronym_apart_is_found_by_a_title_with_the_acronym_in_front():
    project = make_project(title="Abitare insieme ancora", acronym=f"{MARKER}Y")

    assert project_match(keys=ProjectKeys(title=f"{MARKER}Y – Abitare insieme ancora")).project == project


@pytest.mark.parametrize("other", [{"cup": "B12C34000000001"}, {"code": "ALTRO-1"}, {"acronym": "ALTRO"}])
def test_the_same_title_with_another_cup_code_or_acronym_is_another_project(other):
    make_project(title=f"{MARKER} Centro servizi", cup="A12B34000000001", code="UNO-1", acronym="UNO")

    assert project_match(keys=ProjectKeys(title=f"{MARKER} Centro servizi", **other)).project is None


def test_a_title_shared_by_two_projects_asks_for_the_cup_or_the_code():
    make_project(title=f"{MARKER} Sportello"), make_project(title=f"{MARKER} Sportello")

    with pytest.raises(ProjectMatchError, match="give the CUP or the code"):
        project_match(keys=ProjectKeys(title=f"{MARKER} Sportello"))


def test_a_cup_and_a_slug_of_two_projects_are_a_conflict():
    first = make_project(cup="C12C34000000001")
    second = make_project()

    with pytest.raises(ProjectMatchError) as error:
        project_match(keys=ProjectKeys(title="x", cup=first.cup, slug=second.slug))
    assert error.value.field == "slug" and first.title in str(error.value) and second.title in str(error.value)


def test_the_index_loads_only_the_projects_the_keys_can_name(django_assert_max_num_queries):
    keys = [ProjectKeys(title=f"{MARKER} {n}", cup=f"D12C340000000{n:02d}") for n in range(40)]

    with django_assert_max_num_queries(5):
        index = ProjectIndex.load(keys)
    assert index.by_key["cup"] == {}


# --- slugs ---------------------------------------------------------------------------------------


def test_slugs_are_allocated_free_in_the_table_and_among_themselves():
    make_project(slug="fx-abitare")

    assert slugs_allocate(model=Project, texts=["Fx abitare", "FX Abitare", "Fx – Lavoro"]) == [
        "fx-abitare-2",
        "fx-abitare-3",
        "fx-lavoro",
    ]


def test_a_new_project_takes_its_slug_from_its_acronym_else_its_title():
    with_acronym, without = write(
        ProjectInput(values={"title": unique("Progetto lungo"), "acronym": "FXACR"}),
        ProjectInput(values={"title": f"{MARKER} Solo titolo"}),
    )

    assert (with_acronym.project.slug, without.project.slug) == ("fxacr", "fx-solo-titolo")


# --- writing -------------------------------------------------------------------------------------


def test_a_batch_writes_a_project_with_its_links_and_new_records_as_a_draft():
    funder = make_funder()
    (change,) = write(
        ProjectInput(
            values={"title": unique("Casa"), "summary": "Sintesi"},
            participations=[
                ParticipationInput(name=f"{MARKER} Nuovo ente capofila", role=Role.LEAD),
                ParticipationInput(name=f"{MARKER} nuovo ENTE capofila", role=Role.PARTNER),
            ],
            funders=[funder.name.upper()],
            themes=["housing"],
            target_groups={"refugees": None, "practitioners": Reach.INDIRECT},
        )
    )
    project = Project.objects.get(pk=change.project.pk)

    assert project.is_published is False
    assert [(p.partner.name, p.role, p.order) for p in project.participations.all()] == [
        (f"{MARKER} Nuovo ente capofila", "lead", 1),
        (f"{MARKER} Nuovo ente capofila", "partner", 1),
    ]
    assert list(project.funders.all()) == [funder]
    assert dict(project.target_group_links.values_list("target_group", "reach")) == {
        "refugees": "direct",
        "practitioners": "indirect",
    }
    assert change.created == [("partner", f"{MARKER} Nuovo ente capofila")] * 2


def test_writing_the_same_input_again_is_unchanged_and_rewrites_no_link():
    def item() -> ProjectInput:
        return ProjectInput(
            values={"title": f"{MARKER} Stabile"},
            participations=[ParticipationInput(name=f"{MARKER} Ente stabile", role=Role.LEAD)],
            themes=["housing", "health"],
        )

    (first,) = write(item())
    links = sorted(Participation.objects.filter(project=first.project).values_list("pk", flat=True))

    (second,) = write(item())

    assert (second.outcome, second.changes) == ("unchanged", [])
    assert sorted(Participation.objects.filter(project=first.project).values_list("pk", flat=True)) == links


@pytest.mark.parametrize("chunk", [1, 1000])
def test_the_links_a_batch_compares_are_those_the_projects_store(chunk, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr("projects.services.projects.chunked", lambda items: chunked(items, chunk))
    # Made so that the ids run against the list's order (the lead last, the partners in reverse) and a supporting
    # organisation numbered before the partners.
    partners = [make_partner() for _ in range(5)]
    territories = [make_territory() for _ in range(2)]
    one = make_project(
        lead=partners[3],
        partners=partners[2::-1],
        supporting=[partners[4]],
        funders=[make_funder(), make_funder()],
        programmes=[make_programme()],
        territories=territories,
        themes=["mediation", "housing"],
        target_groups=["refugees"],
        target_groups_indirect=["practitioners"],
    )
    other = make_project(supporting=[partners[0]], territories=territories[1:], themes=["health"])
    bare = make_project()
    Participation.objects.filter(project=one, partner=partners[1]).update(order=9)
    Participation.objects.filter(project=one, partner=partners[4]).update(order=1)

    with django_assert_num_queries(6 * (3 if chunk == 1 else 1)):
        stored = stored_links_of([bare.pk, other.pk, one.pk])

    for project in (one, other, bare):
        links = stored[project.pk]
        assert [(p.pk, p.partner_id, p.role, p.order, p.unit) for p in links.participations] == list(
            project.participations.order_by("role_order", "order", "pk").values_list(
                "pk", "partner_id", "role", "order", "unit"
            )
        )
        assert sorted(links.themes) == sorted(project.theme_links.values_list("pk", "theme"))
        assert sorted((t.pk, t.target_group, t.reach) for t in links.target_groups) == sorted(
            project.target_group_links.values_list("pk", "target_group", "reach")
        )
        for link in ("funders", "programmes", "territories"):
            assert links.records[link] == sorted(getattr(project, link).values_list("pk", flat=True)), link
    assert [p.partner_id for p in stored[one.pk].participations] == [
        partners[3].pk,
        partners[2].pk,
        partners[0].pk,
        partners[1].pk,
        partners[4].pk,
    ]


def test_a_batch_rewrites_only_the_links_that_differ_from_those_stored():
    lead, kept, dropped, added = (make_partner() for _ in range(4))
    funder, programme = make_funder(), make_programme()
    project = make_project(
        lead=lead, partners=[kept, dropped], funders=[funder], themes=["housing", "health"], numbered_by_role=True
    )
    kept_link = Participation.objects.get(project=project, partner=kept)

    (change,) = write(
        ProjectInput(
            values={"title": project.title},
            participations=[
                ParticipationInput(lead.name, Role.LEAD),
                ParticipationInput(kept.name, Role.PARTNER),
                ParticipationInput(added.name, Role.PARTNER),
            ],
            funders=[funder.name],
            programmes=[programme.name],
            themes=["housing"],
        )
    )

    assert sorted(change.changed_links) == ["participations", "programmes", "themes"]
    assert [(p.partner_id, p.role) for p in project.participations.all()] == [
        (lead.pk, "lead"),
        (kept.pk, "partner"),
        (added.pk, "partner"),
    ]
    assert Participation.objects.get(project=project, partner=kept).pk == kept_link.pk
    assert list(project.programmes.all()) == [programme]
    assert list(project.theme_links.values_list("theme", flat=True)) == ["housing"]


def test_a_source_that_lists_partners_without_descriptions_keeps_those_stored():
    lead = make_partner()
    project = make_project(lead=lead)
    Participation.objects.filter(project=project).update(description="Coordina il progetto")
    new_partner = f"{MARKER} Nuovo partner"

    write(
        ProjectInput(
            values={"title": project.title},
            participations=[ParticipationInput(lead.name, Role.LEAD), ParticipationInput(new_partner, Role.PARTNER)],
        )
    )

    assert [(p.partner.name, p.description) for p in project.participations.all()] == [
        (lead.name, "Coordina il progetto"),
        (new_partner, ""),
    ]


def test_a_reach_not_stated_keeps_the_one_stored():
    project = make_project()
    project.target_group_links.create(target_group="refugees", reach=Reach.INDIRECT)

    write(ProjectInput(values={"title": project.title}, target_groups={"refugees": None, "neet": None}))

    assert dict(project.target_group_links.values_list("target_group", "reach")) == {
        "refugees": "indirect",
        "neet": "direct",
    }


def test_dates_restated_without_their_words_drop_the_words_stored_before():
    project = make_project(period="Maggio 2024 - Dicembre 2025")

    (change,) = write(ProjectInput(values={"title": project.title, "start": project.start.replace(month=6)}))

    project.refresh_from_db()
    assert project.period_text == "" and "period_text" in change.fields


def test_a_batch_with_an_error_writes_nothing():
    good = ProjectInput(values={"title": unique("Buono")}, funders=[f"{MARKER} Finanziatore nuovo"])
    bad = ProjectInput(values={"title": unique("Cattivo"), "website": "not a url"})
    batch = ProjectBatch([good, bad])
    batch.plan(good)
    change = batch.plan(bad)

    assert "website" in change.errors
    with pytest.raises(ValueError, match="never written"):
        batch.write()
    assert not Funder.objects.filter(name=f"{MARKER} Finanziatore nuovo").exists()


def test_two_inputs_that_are_one_project_are_an_error_naming_the_first():
    first = ProjectInput(values={"title": f"{MARKER} Doppio"}, label="row 2")
    second = ProjectInput(values={"title": f"{MARKER} doppio"}, label="row 3")
    batch = ProjectBatch([first, second])
    batch.plan(first)

    with pytest.raises(ProjectMatchError, match="the same project as row 2"):
        batch.plan(second)


def test_project_upsert_refuses_an_input_the_model_refuses():
    with pytest.raises(ValidationError) as error:
        project_upsert(item=ProjectInput(values={"title": unique("Date"), "countries": ["Francia"]}))
    assert "countries" in error.value.message_dict
