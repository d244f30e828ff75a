"""Keeping the public index (projects.models.index) in step with every write.

A project's index entries are derived from the project, its links and the records it names:
- its facets (one row per funder, programme, organisation, place, theme… a published project is
  found under), with funders and programmes taken through the programme tree at any depth;
- the counts of each facet value over all published projects (FacetCount), kept by signed deltas;
- its search document: a weighted Italian full-text vector on PostgreSQL (title and acronym first,
  then organisations, funders, programmes and territories, then the texts, then municipalities),
  folded words on other databases;
- the words of published projects, for "did you mean" suggestions.

`projects_index` rebuilds the entries of some projects; the write layer calls it after every write
(ProjectBatch, publishing), the admin after a project's links are saved, and signals after a change
to a record that projects name (see projects.signals). Each chunk of projects costs a fixed number
of queries whatever its size.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Q

from partners.models import Partner
from registry.enums import Role

from ..models import (
    Facet,
    FacetCount,
    Funder,
    IndexState,
    Municipality,
    Participation,
    Programme,
    Project,
    ProjectFacet,
    ProjectSearch,
    ProjectTargetGroup,
    ProjectTheme,
    ProjectWords,
    SearchTerm,
    Territory,
)
from ..models.funding import reachable, tree_links
from ..names import fold_name
from .bulk import any_of, chunked, insert_rows


def folded_words(texts) -> set[str]:
    """The distinct words of the texts, folded (lower case, no accents): split first, so that each
    distinct word is folded once (through fold_name's cache), not every text whole."""
    words = set()
    for text in texts:
        words.update(WORD.findall(text.lower()))
    return {folded for word in words for folded in fold_name(word).split()}


INDEX_CHUNK = 2000
# Words offered as suggestions: letters only, long enough for a typo to be told from another word.
TERM = re.compile(r"[a-z]{3,64}")
SEARCH_CONFIG = "registry_italian"  # created by migration 0004: Italian stemming after unaccent
WEIGHTS = "ABCD"
WORD = re.compile(r"\w+")


def projects_index(pks: Iterable[int]) -> None:
    """Rebuild the index entries of these projects (drafts get a search vector, for the admin, and no facets)."""
    pks = sorted(set(pks))
    if not pks:
        return
    tree = ProgrammeTree.load()
    territories = TerritoryPlaces()
    with transaction.atomic():
        for chunk in chunked(pks, min(INDEX_CHUNK, len(pks))):
            _index_chunk(list(chunk), tree, territories)
        IndexState.advance(pks)


def projects_unindex(pks: Iterable[int]) -> None:
    """Take projects out of the facets and counts (before they are deleted)."""
    pks = sorted(set(pks))
    with transaction.atomic():
        for chunk in chunked(pks):
            old = _stored_counts(chunk)
            ProjectFacet.objects.filter(any_of("project_id", chunk)).delete()
            _apply_deltas(old, Counter(), {})
        IndexState.advance(pks)


def projects_reindex_all(*, batch: int = INDEX_CHUNK) -> int:
    """Rebuild the whole index from the projects (after a migration, or to repair it); how many projects."""
    with transaction.atomic():
        ProjectFacet.objects.all().delete()
        FacetCount.objects.all().delete()
        SearchTerm.objects.all().delete()
        IndexState.advance()
        pks = list(Project.objects.order_by("pk").values_list("pk", flat=True))
        projects_index(pks)
    return len(pks)


def projects_unindexed() -> list[int]:
    """Projects that have never been indexed (stored before the index existed, or by another program)."""
    missing = Q(search_document__isnull=True)
    if connection.vendor == "postgresql":
        missing |= Q(search_words__isnull=True)
    return list(Project.objects.filter(missing).values_list("pk", flat=True))


def projects_naming(model, pks: Iterable[int]) -> set[int]:
    """The projects whose index entries read these records (organisations, funders, programmes, territories)."""
    pks = list(pks)
    if model is Partner:
        return set(Participation.objects.filter(partner_id__in=pks).values_list("project_id", flat=True))
    if model is Territory:
        links = Project.territories.through.objects.filter(territory_id__in=pks)
        return set(links.values_list("project_id", flat=True))
    if model is Municipality:
        territories = Territory.municipalities.through.objects.filter(municipality_id__in=pks)
        return projects_naming(Territory, territories.values_list("territory_id", flat=True))
    if model is Funder:
        direct = set(Project.funders.through.objects.filter(funder_id__in=pks).values_list("project_id", flat=True))
        programmes = Programme.funders.through.objects.filter(funder_id__in=pks).values_list("programme_id", flat=True)
        return direct | projects_naming(Programme, programmes)
    if model is Programme:
        below = Programme.objects.descendant_ids(pks)
        links = Project.programmes.through.objects.filter(programme_id__in=below)
        return set(links.values_list("project_id", flat=True))
    return set()


def records_reindex(model, pks: Iterable[int]) -> None:
    """Rebuild the entries of every project that names these records (after a rename, a new parent…)."""
    projects_index(projects_naming(model, pks))


# --- reading what a chunk of projects is indexed under ----------------------------------------------


class ProgrammeTree:
    """Every programme with the programmes above it and their funders: hundreds of rows, read once."""

    def __init__(
        self, programmes: dict[int, tuple[str, str, str]], up: dict[int, list[int]], funders: dict[int, list[int]]
    ):
        self.programmes = programmes  # pk -> (slug, label, full name)
        self.up = up
        self.funders = funders  # programme pk -> funder pks

    @classmethod
    def load(cls) -> ProgrammeTree:
        rows = list(Programme.objects.values_list("pk", "parent_id", "slug", "name", "short_name"))
        funders: dict[int, list[int]] = defaultdict(list)
        for programme_id, funder_id in Programme.funders.through.objects.values_list("programme_id", "funder_id"):
            funders[programme_id].append(funder_id)
        return cls(
            {pk: (slug, short_name or name, name) for pk, _, slug, name, short_name in rows},
            tree_links([(pk, parent) for pk, parent, *_ in rows], upwards=True),
            funders,
        )

    def with_ancestors(self, pks: Iterable[int]) -> set[int]:
        return reachable(pks, self.up)


class TerritoryPlaces:
    """The municipalities of territories, read once per territory however many projects name it."""

    def __init__(self):
        self.places: dict[int, list[tuple]] = {}

    def of(self, territory_ids: set[int]) -> dict[int, list[tuple]]:
        missing = sorted(territory_ids - self.places.keys())
        for chunk in chunked(missing):
            for pk in chunk:
                self.places[pk] = []
            rows = Territory.municipalities.through.objects.filter(any_of("territory_id", chunk)).values_list(
                "territory_id",
                "municipality__istat_code",
                "municipality__name",
                "municipality__province_code",
                "municipality__province_name",
                "municipality__region_code",
                "municipality__region_name",
            )
            for territory_id, *place in rows:
                self.places[territory_id].append(tuple(place))
        return {pk: self.places[pk] for pk in territory_ids}


class Entries:
    """What one project is indexed under: facets with their labels, and its texts by weight."""

    __slots__ = ("facets", "texts")

    def __init__(self):
        self.facets: set[tuple[str, str]] = set()
        self.texts: dict[str, list[str]] = {weight: [] for weight in WEIGHTS}

    def add(self, facet: str, value: str, label: str, labels: dict) -> None:
        self.facets.add((facet, value))
        labels[(facet, value)] = label


def _read_chunk(pks: list[int], tree: ProgrammeTree, territories: TerritoryPlaces):
    """Entries of each project of the chunk, whether it is published, and the facet labels."""
    entries = {pk: Entries() for pk in pks}
    labels: dict[tuple[str, str], str] = {}
    published = set()
    projects = Project.objects.filter(any_of("pk", pks)).values_list(
        "pk",
        "is_published",
        "title",
        "acronym",
        "code",
        "cup",
        "summary",
        "general_objective",
        "specific_objectives",
        "activities",
        "beneficiaries",
        "countries",
        "kind",
    )
    for pk, is_published, title, acronym, code, cup, *texts, countries, kind in projects:
        if is_published:
            published.add(pk)
        entries[pk].add(Facet.KIND, kind, kind, labels)
        # A code is also written folded: "PROG-2832" would be read as "prog" and the number -2832.
        entries[pk].texts["A"] += [title, acronym, code, fold_name(code), cup]
        entries[pk].texts["C"] += texts
        for country in countries or []:
            entries[pk].add(Facet.COUNTRY, country, country, labels)

    participations = Participation.objects.filter(any_of("project_id", pks)).values_list(
        "project_id", "role", "partner__slug", "partner__name", "partner__other_names"
    )
    for pk, role, slug, name, other_names in participations:
        entries[pk].add(Facet.PARTNER, slug, name, labels)
        if role == Role.LEAD:
            entries[pk].add(Facet.LEAD_PARTNER, slug, name, labels)
        entries[pk].texts["B"] += [name, other_names]

    funders_of: dict[int, set[int]] = defaultdict(set)
    for pk, funder_id in Project.funders.through.objects.filter(any_of("project_id", pks)).values_list(
        "project_id", "funder_id"
    ):
        funders_of[pk].add(funder_id)
    programmes_of: dict[int, set[int]] = defaultdict(set)
    for pk, programme_id in Project.programmes.through.objects.filter(any_of("project_id", pks)).values_list(
        "project_id", "programme_id"
    ):
        programmes_of[pk].add(programme_id)
    for pk, programme_ids in programmes_of.items():
        for programme_id in tree.with_ancestors(programme_ids):
            slug, label, name = tree.programmes[programme_id]
            entries[pk].add(Facet.PROGRAMME, slug, label, labels)
            entries[pk].texts["B"] += [label, name]
            funders_of[pk].update(tree.funders.get(programme_id, ()))
    if funders_of:
        funder_ids = sorted(set().union(*funders_of.values()))
        funders = {
            pk: (slug, name, other_names)
            for pk, slug, name, other_names in Funder.objects.filter(pk__in=funder_ids).values_list(
                "pk", "slug", "name", "other_names"
            )
        }
        for pk, ids in funders_of.items():
            for funder_id in ids:
                slug, name, other_names = funders[funder_id]
                entries[pk].add(Facet.FUNDER, slug, name, labels)
                entries[pk].texts["B"] += [name, other_names]

    territories_of: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, territory_id, name in Project.territories.through.objects.filter(any_of("project_id", pks)).values_list(
        "project_id", "territory_id", "territory__name"
    ):
        territories_of[pk].append((territory_id, name))
    places = territories.of({territory_id for links in territories_of.values() for territory_id, _ in links})
    for pk, links in territories_of.items():
        project = entries[pk]
        place_names = set()
        for territory_id, name in links:
            project.texts["B"].append(name)
            for code, town, province, province_name, region, region_name in places[territory_id]:
                project.add(Facet.MUNICIPALITY, code, f"{town} ({province})", labels)
                project.add(Facet.PROVINCE, province, f"{province} – {province_name}", labels)
                project.add(Facet.REGION, region, region_name, labels)
                place_names.update((town, province_name, region_name))
        project.texts["D"] += sorted(place_names)

    for pk, theme in ProjectTheme.objects.filter(any_of("project_id", pks)).values_list("project_id", "theme"):
        entries[pk].add(Facet.THEME, theme, theme, labels)
    for pk, group in ProjectTargetGroup.objects.filter(any_of("project_id", pks)).values_list(
        "project_id", "target_group"
    ):
        entries[pk].add(Facet.TARGET_GROUP, group, group, labels)
    return entries, published, labels


# --- writing them ------------------------------------------------------------------------------------


def _index_chunk(pks: list[int], tree: ProgrammeTree, territories: TerritoryPlaces) -> None:
    entries, published, labels = _read_chunk(pks, tree, territories)
    old = _stored_counts(pks)
    ProjectFacet.objects.filter(any_of("project_id", pks)).delete()
    rows = [(pk, facet, value) for pk in sorted(published) for facet, value in sorted(entries[pk].facets)]
    insert_rows(ProjectFacet, ["project_id", "facet", "value"], rows)
    _apply_deltas(old, Counter((facet, value) for _, facet, value in rows), labels)
    documents = {pk: {w: " ".join(t for t in texts if t) for w, texts in e.texts.items()} for pk, e in entries.items()}
    _write_search_documents(documents)
    words = {word for pk in published for word in folded_words(documents[pk].values()) if TERM.fullmatch(word)}
    if words:
        SearchTerm.objects.bulk_create([SearchTerm(word=word) for word in sorted(words)], ignore_conflicts=True)


def _stored_counts(pks) -> Counter:
    rows = (
        ProjectFacet.objects.filter(any_of("project_id", pks))
        .values_list("facet", "value")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Counter({(facet, value): n for facet, value, n in rows})


def _apply_deltas(old: Counter, new: Counter, labels: dict[tuple[str, str], str]) -> None:
    """Add what the chunk's projects now count for, less what they counted for, to FacetCount.

    One upsert per slice of values, in key order so that concurrent writers lock rows in one order;
    a value whose projects are all gone is then deleted. A label is rewritten only when the chunk
    read it (a renamed funder's projects are reindexed, which renames it here).
    """
    deltas = {key: new[key] - old[key] for key in old.keys() | new.keys()}
    keys = sorted(key for key, delta in deltas.items() if delta or key in labels)
    if not keys:
        return
    table = connection.ops.quote_name(FacetCount._meta.db_table)
    # Four parameters a row; SQLite allows 999 in a statement.
    for chunk in chunked(keys, 200 if connection.vendor == "sqlite" else 2000):
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        params = [p for key in chunk for p in (*key, labels.get(key, ""), deltas[key])]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (facet, value, label, count) VALUES {values} "
                f"ON CONFLICT (facet, value) DO UPDATE SET count = {table}.count + excluded.count, "
                f"label = COALESCE(NULLIF(excluded.label, ''), {table}.label)",
                params,
            )
    if any(delta < 0 for delta in deltas.values()):
        FacetCount.objects.filter(count__lte=0).delete()


def _write_search_documents(documents: dict[int, dict[str, str]]) -> None:
    pks = sorted(documents)
    table = connection.ops.quote_name(ProjectSearch._meta.db_table)
    if connection.vendor == "postgresql":
        vector = " || ".join(f"setweight(to_tsvector('{SEARCH_CONFIG}', d.{w.lower()}), '{w}')" for w in WEIGHTS)
        words = connection.ops.quote_name(ProjectWords._meta.db_table)
        with connection.cursor() as cursor:
            # The ranked vector and its words alone, in one statement: they cannot disagree.
            cursor.execute(
                f"WITH written AS (INSERT INTO {table} (project_id, vector, text) SELECT d.id, {vector}, '' "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS d(id, a, b, c, d) "
                "ON CONFLICT (project_id) DO UPDATE SET vector = excluded.vector RETURNING project_id, vector) "
                f"INSERT INTO {words} (project_id, words) SELECT project_id, strip(vector) FROM written "
                "ON CONFLICT (project_id) DO UPDATE SET words = excluded.words",
                [pks, *([documents[pk][w] for pk in pks] for w in WEIGHTS)],
            )
        return
    # Elsewhere: the document's words folded (case and accents), each once, between spaces, so that
    # a whole word is found with LIKE '% word %'.
    projects = []
    for pk in pks:
        words = sorted(folded_words(documents[pk].values()))
        projects.append(ProjectSearch(project_id=pk, text=f" {' '.join(words)} "))
    ProjectSearch.objects.bulk_create(
        projects, batch_size=500, update_conflicts=True, unique_fields=["project"], update_fields=["text"]
    )
