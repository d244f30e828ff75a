"""Synthetic projects (`manage.py generate_projects`, projects.synthetic): realistic shapes, deterministic
for a seed, written once, marked as synthetic, removed without touching anything else; and the planner
statistics every bulk path refreshes."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from partners.models import Partner
from projects.importing import import_sheet, read_sheet
from projects.models import FacetCount, Funder, Municipality, Participation, Programme, Project, Territory
from projects.services import planner_statistics_refresh
from projects.services.synthetic import SYNTHETIC_MARK
from projects.synthetic import (
    MAX_TERRITORY_SIZE,
    SyntheticRegistry,
    default_organisations,
    registry_places,
    synthetic_write,
)
from registry.enums import ChangeKind, Role
from registry.history import change_set_undo
from registry.models import ChangeSet
from tests.factories import make_partner, make_project

pytestmark = pytest.mark.django_db

FIRST, LAST = dt.date(2014, 1, 1), dt.date(2028, 12, 31)


def generate(*args: str) -> str:
    output = io.StringIO()
    call_command("generate_projects", *args, stdout=output)
    return output.getvalue()


@pytest.fixture
def places():
    return registry_places()


def synthetic_projects(seed: int | None = None):
    prefix = "SYN-" if seed is None else f"SYN-{seed}-"
    return Project.objects.filter(code__startswith=prefix)


def snapshot(seed: int) -> list[tuple]:
    """Everything stated about a seed's projects, by name (not by key or slug), in code order."""
    projects = synthetic_projects(seed).prefetch_related(
        "participations__partner", "funders", "programmes", "territories__municipalities", "theme_links"
    )
    rows = []
    for project in sorted(projects, key=lambda p: p.code):
        rows.append(
            (
                project.code,
                project.title,
                project.acronym,
                project.summary,
                project.activities,
                project.period_text,
                project.start,
                project.start_precision,
                project.end,
                project.end_precision,
                project.duration_months,
                project.is_published,
                project.countries,
                sorted((p.partner.name, p.role, p.order, p.description) for p in project.participations.all()),
                sorted(f.name for f in project.funders.all()),
                sorted(p.name for p in project.programmes.all()),
                sorted(
                    (t.name, sorted(m.istat_code for m in t.municipalities.all())) for t in project.territories.all()
                ),
                sorted(t.theme for t in project.theme_links.all()),
                sorted(project.target_group_links.values_list("target_group", "reach")),
            )
        )
    return rows


def registry_counts() -> dict[str, int]:
    return {
        "projects": Project.objects.count(),
        "organisations": Partner.objects.count(),
        "funders": Funder.objects.count(),
        "programmes": Programme.objects.count(),
        "territories": Territory.objects.count(),
        "roles": Participation.objects.count(),
        "territory municipalities": Territory.municipalities.through.objects.count(),
    }


# --- the generator alone ---------------------------------------------------------------------------------


def test_one_seed_makes_the_same_projects_and_another_seed_other_ones(places):
    first, again = (SyntheticRegistry(places, seed=5, organisations=300) for _ in range(2))
    other = SyntheticRegistry(places, seed=6, organisations=300)
    assert [first.project(n).input for n in range(1, 60)] == [again.project(n).input for n in range(1, 60)]
    titles = [first.project(n).input.values["title"] for n in range(1, 60)]
    assert titles != [other.project(n).input.values["title"] for n in range(1, 60)]


def test_a_project_is_the_same_whatever_was_generated_before_it(places):
    registry = SyntheticRegistry(places, seed=5, organisations=300)
    later = registry.project(40).input
    assert SyntheticRegistry(places, seed=5, organisations=300).project(40).input == later


def test_organisations_are_distinct_skewed_and_of_the_sector_s_kinds(places):
    registry = SyntheticRegistry(places, seed=3, organisations=2000)
    names = [spec.name for spec in registry.organisations]
    assert len(names) == 2000 and len(set(names)) == 2000
    assert any(name.startswith("Comune di ") for name in names)
    assert any("Cooperativa" in name or "scs" in name for name in names)
    assert any(name.startswith(("Associazione", "APS")) for name in names)
    uses = Counter(link.name for n in range(1, 2001) for link in registry.project(n).input.participations)
    busiest = uses.most_common(10)
    # A few organisations take part in a large share of the projects, most in a handful.
    assert busiest[0][1] > 100
    assert sorted(uses.values())[len(uses) // 2] < 10


def test_default_organisations_scale_with_the_projects():
    assert default_organisations(100_000) == 10_000
    assert default_organisations(1_000) < default_organisations(10_000) < default_organisations(1_000_000)


def test_territories_are_1_to_80_municipalities_of_one_region_around_their_centre(places):
    registry = SyntheticRegistry(places, seed=1, organisations=100)
    by_code = {place.code: place for place in places}
    trieste = next(p for p in places if p.name == "Trieste")  # a province of six municipalities
    aosta = next(p for p in places if p.name == "Aosta")  # a region of 74
    for centre, size in ((trieste, 1), (trieste, 4), (trieste, 20), (aosta, 80), (trieste, 500)):
        territory = registry.territory(centre, size)
        assert 1 <= len(territory.codes) <= MAX_TERRITORY_SIZE
        assert centre.code in territory.codes
        assert {by_code[code].region_code for code in territory.codes} == {centre.region_code}
    inside = registry.territory(trieste, 4)
    assert {by_code[code].province_code for code in inside.codes} == {"TS"}
    spilled = registry.territory(trieste, 20)
    assert len(spilled.codes) == 20 and "Friuli-Venezia Giulia" in spilled.name
    assert len(registry.territory(aosta, 80).codes) == 74
    assert registry.territory(trieste, 4) == SyntheticRegistry(places, seed=9, organisations=100).territory(trieste, 4)


def test_most_territories_are_small_and_some_are_large(places):
    registry = SyntheticRegistry(places, seed=2, organisations=500)
    sizes = [len(t.codes) for n in range(1, 1501) for t in registry.project(n).territories]
    assert min(sizes) == 1 and 40 < max(sizes) <= MAX_TERRITORY_SIZE
    assert sizes.count(1) > len(sizes) / 3


def test_periods_run_from_2014_to_2028_at_every_precision_or_are_not_stated(places):
    registry = SyntheticRegistry(places, seed=4, organisations=300)
    values = [registry.project(n).input.values for n in range(1, 1501)]
    for value in values:
        for bound in ("start", "end"):
            assert value[bound] is None or FIRST <= value[bound] <= LAST
    precisions = Counter(value["start_precision"] for value in values)
    assert set(precisions) == {"year", "month", "day", ""}
    assert any(not value["period_text"] for value in values)
    assert any(value["start"] and not value["end"] for value in values)  # open-ended
    assert any(value["duration_months"] and not value["start"] for value in values)  # a duration only


def test_texts_speak_of_the_themes_in_italian(places):
    registry = SyntheticRegistry(places, seed=4, organisations=300)
    text = " ".join(
        registry.project(n).input.values[field] for n in range(1, 400) for field in ("summary", "activities")
    ).lower()
    for word in ("alloggio", "tirocini", "psicologico", "mediazione", "lingua italiana", "legale", "formazione"):
        assert word in text


# --- written through the write layer --------------------------------------------------------------------


def test_generate_writes_marked_projects_with_their_links():
    output = generate("40", "--seed", "7")
    assert "40 new, 0 changed, 0 unchanged" in output
    projects = synthetic_projects(7)
    assert sorted(projects.values_list("code", flat=True)) == sorted(f"SYN-7-{n}" for n in range(1, 41))
    assert all(project.sources[0]["document"].startswith(SYNTHETIC_MARK) for project in projects)
    assert all("generate_projects" in project.sources[0]["title"] for project in projects)
    leads = Counter(
        Participation.objects.filter(project__in=projects, role=Role.LEAD).values_list("project", flat=True)
    )
    assert max(leads.values()) == 1 and len(leads) > 30
    assert Participation.objects.filter(project__in=projects, role=Role.PARTNER).count() > 40
    assert Project.programmes.through.objects.filter(project__in=projects).exists()
    assert Project.territories.through.objects.filter(project__in=projects).count() >= 38


def test_a_second_run_with_the_same_seed_writes_nothing():
    generate("30", "--seed", "7")
    before = registry_counts()
    output = generate("30", "--seed", "7")
    assert "0 new, 0 changed, 30 unchanged" in output
    assert "created 0 organisations, 0 territories, 0 programmes and calls, 0 funders" in output
    assert registry_counts() == before


def test_the_same_seed_writes_the_same_data_again_and_another_seed_other_data():
    generate("30", "--seed", "7")
    first = snapshot(7)
    generate("--remove")
    generate("30", "--seed", "7")
    assert snapshot(7) == first
    generate("30", "--seed", "8")
    assert [row[1:] for row in snapshot(8)] != [row[1:] for row in first]


def test_some_generated_projects_are_drafts():
    generate("200", "--seed", "11", "--chunk", "70")
    drafts = synthetic_projects(11).filter(is_published=False).count()
    assert 1 <= drafts <= 20


def test_written_periods_and_territories_keep_within_their_bounds():
    generate("120", "--seed", "12")
    projects = synthetic_projects(12)
    assert not projects.filter(start__lt=FIRST).exists() and not projects.filter(end__gt=LAST).exists()
    assert not projects.filter(start__gt=LAST).exists() and not projects.filter(end__lt=FIRST).exists()
    territories = Territory.objects.filter(projects__in=projects).distinct()
    sizes = [territory.municipalities.count() for territory in territories]
    assert sizes and min(sizes) >= 1 and max(sizes) <= MAX_TERRITORY_SIZE


def test_every_record_it_creates_is_marked_synthetic():
    before = {model: set(model.objects.values_list("pk", flat=True)) for model in (Partner, Funder, Programme)}
    territories_before = set(Territory.objects.values_list("pk", flat=True))
    generate("60", "--seed", "13")
    for model, pks in before.items():
        created = model.objects.exclude(pk__in=pks)
        assert created.exists()
        assert all(SYNTHETIC_MARK in record.sources[0]["document"] for record in created), model
    new_territories = Territory.objects.exclude(pk__in=territories_before)
    assert new_territories.exists() and all(SYNTHETIC_MARK in t.note for t in new_territories)
    # The seed's own records are named by name and left as they are.
    fami = Programme.objects.get(short_name="FAMI 2021-2027")
    assert all(SYNTHETIC_MARK not in str(source) for source in fami.sources)


def test_remove_deletes_only_synthetic_data_and_the_seed_survives():
    before = registry_counts()
    seed_projects = sorted(Project.objects.values_list("slug", "title"))
    counts_before = sorted(FacetCount.objects.values_list("facet", "value", "count"))
    generate("50", "--seed", "14")
    assert registry_counts()["projects"] == before["projects"] + 50
    output = generate("--remove")
    assert "Removed 50 synthetic projects" in output
    assert registry_counts() == before
    assert sorted(Project.objects.values_list("slug", "title")) == seed_projects
    assert sorted(FacetCount.objects.values_list("facet", "value", "count")) == counts_before


def test_remove_with_a_seed_keeps_the_other_seeds_and_what_they_name():
    generate("20", "--seed", "15")
    generate("20", "--seed", "16")
    kept = snapshot(16)
    generate("--remove", "--seed", "15")
    assert not synthetic_projects(15).exists()
    assert snapshot(16) == kept


def test_remove_keeps_a_synthetic_organisation_a_real_project_names():
    generate("10", "--seed", "17")
    partner = Participation.objects.filter(project__code="SYN-17-1").first().partner
    make_project(lead=partner)
    generate("--remove")
    assert Partner.objects.filter(pk=partner.pk).exists()


def test_a_synthetic_project_never_overwrites_one_it_did_not_make(places):
    title = SyntheticRegistry(places, seed=18, organisations=default_organisations(5)).project(1).input.values["title"]
    make_project(title=title)
    with pytest.raises(CommandError, match="generate_projects did not make"):
        generate("5", "--seed", "18")
    assert not synthetic_projects(18).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["0"], "must be positive"),
        (["-3"], "must be positive"),
        ([], "Say how many projects"),
        (["10", "--organisations", "0"], "--organisations must be positive"),
        (["10", "--chunk", "0"], "--chunk must be positive"),
        (["10", "--seed", "-1"], "--seed must be a whole number"),
        (["10", "--remove"], "--remove takes no number"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        generate(*args)
    assert not synthetic_projects().exists()


def test_without_municipalities_it_says_to_load_them():
    Municipality.objects.all().delete()
    with pytest.raises(CommandError, match="load_municipalities"):
        generate("10")


# --- planner statistics ---------------------------------------------------------------------------------


def planner_row_count(table: str) -> int | None:
    """How many rows the planner believes the table has."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return int(cursor.fetchone()[0])
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        # A row per index, each starting with the rows it holds: a partial index (the drafts) holds fewer.
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        counts = [int(stat.split()[0]) for (stat,) in cursor.fetchall()]
        return max(counts) if counts else None


def test_planner_statistics_refresh_counts_the_rows_just_written():
    for _ in range(25):
        make_partner()
    assert planner_row_count("partners_partner") != Partner.objects.count()
    planner_statistics_refresh()
    assert planner_row_count("partners_partner") == Partner.objects.count()


def test_a_long_run_reads_the_planner_statistics_again_as_the_projects_double(places):
    before = Project.objects.count()
    synthetic_write(SyntheticRegistry(places, seed=23, organisations=30), range(1, 5 * before + 1), chunk=before)
    # Read again during the run (the command reads them once more at its end, which this call leaves out).
    assert before < planner_row_count("projects_project") < Project.objects.count()


@pytest.fixture
def refreshes(monkeypatch):
    calls = []
    for module in (
        "projects.management.commands.generate_projects",
        "projects.management.commands.load_seed",
        "projects.management.commands.bootstrap",
        "projects.importing.writing",
    ):
        monkeypatch.setattr(f"{module}.planner_statistics_refresh", lambda: calls.append(True))
    return calls


def test_generate_and_remove_refresh_the_planner_statistics(refreshes):
    generate("5", "--seed", "19")
    generate("--remove")
    assert len(refreshes) == 2


def test_a_seed_load_that_writes_refreshes_the_planner_statistics(refreshes):
    Project.objects.filter(slug=Project.objects.order_by("pk").first().slug).update(summary="changed")
    call_command("load_seed", verbosity=0)
    assert len(refreshes) == 1
    call_command("load_seed", verbosity=0)
    assert len(refreshes) == 1  # nothing written, nothing to refresh


def test_bootstrap_refreshes_the_planner_statistics(refreshes):
    call_command("bootstrap", "--skip-static", verbosity=0)
    assert len(refreshes) >= 1


def test_an_import_that_writes_refreshes_the_planner_statistics_and_a_dry_run_does_not(refreshes):
    sheet = read_sheet(b"Titolo;Periodo\nProgetto di prova delle statistiche;2024\n", filename="p.csv")
    import_sheet(sheet, dry_run=True)
    assert refreshes == []
    import_sheet(sheet, dry_run=False)
    assert refreshes == [True]


def test_every_record_it_creates_has_its_first_version_in_a_generated_change_set():
    generate("40", "--seed", "8", "--organisations", "30")

    for model, made in (
        (Project, synthetic_projects(8)),
        (Partner, Partner.objects.filter(projects__in=synthetic_projects(8)).exclude(sources=[]).distinct()),
        (Territory, Territory.objects.filter(projects__in=synthetic_projects(8)).distinct()),
    ):
        pks = set(made.values_list("pk", flat=True))
        created = set(
            model.history.filter(id__in=pks, history_type="+", change_set__kind=ChangeKind.GENERATED).values_list(
                "id", flat=True
            )
        )
        assert pks and created == pks, model.__name__


def test_undoing_what_it_generated_leaves_the_registry_as_it_was():
    kinds = (Project, Partner, Territory, Programme, Funder)
    before = {model: set(model.objects.values_list("pk", flat=True)) for model in kinds}
    generate("30", "--seed", "9", "--organisations", "20")

    assert Programme.objects.exclude(pk__in=before[Programme]).filter(parent__isnull=False).exists()
    for change in ChangeSet.objects.filter(kind=ChangeKind.GENERATED).order_by("-pk"):
        change_set_undo(change)

    assert {model: set(model.objects.values_list("pk", flat=True)) for model in before} == before
