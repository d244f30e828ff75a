"""The public index: what search and facets read, derived from published projects by projects.services.index.

Nothing here is edited by hand. The write layer rebuilds a project's entries whenever the project,
its links or a record it names change, so the public list answers from a few narrow, indexed tables
instead of joining participations, programmes and territories for every request.
"""

import secrets
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum

from django.contrib.postgres.search import SearchVectorField
from django.db import connections, models, router


class Facet(StrEnum):
    """The kinds of facet a published project is indexed under; each value is what the list's
    query parameter of the same name takes (a slug, an ISTAT code, a vocabulary code)."""

    FUNDER = "funder"  # named for the project, or running one of its programmes (at any level above)
    PROGRAMME = "programme"  # its programmes and calls, and every programme they belong to
    PARTNER = "partner"  # any role
    LEAD_PARTNER = "lead_partner"
    REGION = "region"
    PROVINCE = "province"
    MUNICIPALITY = "municipality"
    COUNTRY = "country"
    THEME = "theme"
    TARGET_GROUP = "target_group"
    KIND = "kind"  # of initiative: project, network, service…


# Kinds whose values are few enough to be offered as a list with counts; the others (thousands of
# organisations and municipalities) are chosen by typing.
LISTED_FACETS = (
    Facet.FUNDER,
    Facet.PROGRAMME,
    Facet.REGION,
    Facet.PROVINCE,
    Facet.COUNTRY,
    Facet.THEME,
    Facet.TARGET_GROUP,
    Facet.KIND,
)


class ProjectFacet(models.Model):
    """One value a published project is found under: one row per (project, facet, value)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="facets")
    facet = models.CharField(max_length=16)
    value = models.CharField(max_length=255)

    class Meta:
        # (facet, value, project): a filter is one index range, and a count an index-only scan.
        indexes = [models.Index(fields=["facet", "value", "project"], name="projectfacet_lookup")]
        constraints = [
            models.UniqueConstraint(fields=["project", "facet", "value"], name="projectfacet_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}"


class ProjectSearch(models.Model):
    """A project's search document, kept by projects.services.index from the project, its organisations,
    funders, programmes and places: a weighted Italian full-text vector on PostgreSQL (GIN-indexed),
    its words folded elsewhere (SQLite). A table of its own, so that rebuilding a document never
    rewrites the project's row, and a search reads these narrow rows only."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    vector = SearchVectorField(null=True)
    text = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"search document of project {self.project_id}"


class ProjectWords(models.Model):
    """A search document's words alone, on PostgreSQL: its vector stripped of positions and weights
    (`strip(vector)`), GIN-indexed, in a narrow table of its own, kept by the same writer in the same
    statement. Selecting the projects that contain a word reads these (half the size of the ranked
    vectors, and matched twice as fast: a word every project contains, 35 ms against 66 at 100,000
    projects); ranking the few best reads ProjectSearch."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, primary_key=True, related_name="search_words"
    )
    words = SearchVectorField(null=True)

    def __str__(self) -> str:
        return f"search words of project {self.project_id}"


class FacetCount(models.Model):
    """How many published projects each facet value has, with its label, kept by the index writer.

    What the public may choose is read from here: the labels of the options, whether a funder or an
    organisation has published projects at all, the lead partners with most projects.
    """

    facet = models.CharField(max_length=16)
    value = models.CharField(max_length=255)
    label = models.CharField(max_length=300)
    count = models.IntegerField()  # not Positive: the writer adds signed deltas in one upsert

    class Meta:
        constraints = [models.UniqueConstraint(fields=["facet", "value"], name="facetcount_unique")]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}: {self.count}"


class SearchTerm(models.Model):
    """A word found in published projects (folded: lower case, no accents), for "did you mean" suggestions."""

    word = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.word


# Within stamp_read_once(), the stamp as first read: a page asks for it in several places (its cache key, the
# facets' bitmaps, each overview's kept figures), six queries on a place's page.
_stamp_kept: ContextVar[dict | None] = ContextVar("index_stamp_kept", default=None)


@contextmanager
def stamp_read_once() -> Iterator[None]:
    """Read the index's stamp once for the block (a request: projects.middleware), unless the block changes it."""
    token = _stamp_kept.set({})
    try:
        yield
    finally:
        _stamp_kept.reset(token)


class IndexState(models.Model):
    """A token the index writer changes with every change it makes, in the same transaction, so that a
    process holding something computed from the index (projects.facets keeps the facets as bitmaps)
    knows with one cheap query whether it is still current. Random rather than counted: a change
    rolled back must never leave a token that a later change would give again."""

    stamp = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"index stamp {self.stamp}"

    @classmethod
    def current(cls) -> int:
        kept = _stamp_kept.get()
        if kept is not None and "stamp" in kept:
            return kept["stamp"]
        # Read by every page, as plain SQL: through the ORM, building and compiling this query took 0.4 ms of a page,
        # ten times what the database takes to answer it.
        with connections[router.db_for_read(cls)].cursor() as cursor:
            cursor.execute(f"SELECT stamp FROM {cls._meta.db_table} WHERE id = 1")
            row = cursor.fetchone()
        stamp = row[0] if row else 0
        if kept is not None:
            kept["stamp"] = stamp
        return stamp

    @classmethod
    def advance(cls, projects: Collection[int] | None = None) -> None:
        """Record a change to the index: of these projects, or of all of them (None)."""
        stamp = secrets.randbits(62)
        if not cls.objects.filter(pk=1).update(stamp=stamp):
            cls.objects.create(pk=1, stamp=stamp)
        kept = _stamp_kept.get()
        if kept is not None:
            kept.pop("stamp", None)  # read again after this change (or its rollback)
        # After the update: its row lock, held until the commit, gives the changes ids in the order they commit.
        if projects is not None and len(projects) > IndexChange.PROJECTS_AT_MOST:
            projects = None
        change = IndexChange.objects.create(stamp=stamp, projects=None if projects is None else sorted(projects))
        if change.pk % IndexChange.PRUNE_EVERY == 0:
            IndexChange.objects.filter(pk__lte=change.pk - IndexChange.KEPT).delete()


class IndexChange(models.Model):
    """One change to the index and the projects it touched, so that a process holding the facets' bitmaps
    applies it to the few projects concerned rather than read the whole index again (seconds at a million
    projects). `projects` is None when the change touched too many of them to list."""

    PROJECTS_AT_MOST = 5000
    KEPT = 1000
    PRUNE_EVERY = 100

    stamp = models.BigIntegerField()
    projects = models.JSONField(null=True)

    def __str__(self) -> str:
        return f"index change {self.pk}"
