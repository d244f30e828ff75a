"""Organisations the registry probably holds twice: the same organisation written several ways by several
sheets ("Coop. Sociale Il Ponte", "Cooperativa sociale il Ponte onlus").

Two organisations make a pair when their names or other names are alike: the trigram similarity of their
matching keys (partners.similarity) is at least THRESHOLD. The pairs are kept in SimilarPair, refreshed
for an organisation whenever it is saved with a new name or other names, and for new organisations when
the write layer creates them in bulk: the admin's page reads them instead of comparing every name with
every other on each visit. Being in the same city and naming the same projects make a pair likelier and
add to its score. Pairs are gathered into groups in which every two members are alike, best pairs first,
so that three spellings of one organisation are one group.

On PostgreSQL an organisation's pairs are found by pg_trgm (`%` and similarity() over the trigram index on
name_key, migration 0004); elsewhere by the same similarity computed in Python through an inverted index of
trigrams. Both give the same pairs and the same similarities. Finding every pair at once (migration 0004,
which a change to the keys' rules would repeat) is the Python inverted index's job on both: it indexes only
the rarest trigrams of each name, where PostgreSQL looks every name up in the index in turn (1.7 s against
30 s at 10,000 generated organisations).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.signals import post_save
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import similarity
from .models import LeadPartner, Partner, SimilarPair

THRESHOLD = similarity.PAIR_THRESHOLD  # names at least this alike make a pair
SUGGESTION_THRESHOLD = 0.6  # a new name at least this alike to a stored one is offered as "did you mean"
SUGGESTIONS = 3
CITY_BONUS = 0.1
PROJECT_BONUS, PROJECTS_COUNTED = 0.05, 3  # for each project in common, up to three
GROUP_AT_MOST = 8  # a group never grows beyond this: merging is decided one organisation at a time anyway
CHUNK = 5000
COUNTED_IN_THE_DATABASE = 3000  # organisations whose projects in common the database counts; beyond, Python

# Every pair at once, through the trigram index (name_pairs(method="postgresql"): kept to check the Python
# inverted index against, and for databases where it would be the faster).
POSTGRESQL_PAIRS = """
WITH other(id, key) AS (SELECT * FROM unnest(%(ids)s::bigint[], %(keys)s::text[])),
found(first, second, score) AS (
    SELECT a.id, b.id, similarity(a.name_key, b.name_key)
    FROM partners_partner a JOIN partners_partner b ON a.name_key %% b.name_key AND a.id < b.id
    UNION ALL
    SELECT o.id, p.id, similarity(o.key, p.name_key)
    FROM other o JOIN partners_partner p ON p.name_key %% o.key AND p.id <> o.id
    UNION ALL
    SELECT o.id, q.id, similarity(o.key, q.key) FROM other o JOIN other q ON o.key %% q.key AND o.id < q.id
)
SELECT LEAST(first, second), GREATEST(first, second), max(score) FROM found GROUP BY 1, 2
"""

# The stored names alike to some keys, each looked up in the trigram index: (position of the key, id, similarity).
POSTGRESQL_ALIKE = """
SELECT q.position, p.id, similarity(q.key, p.name_key)
FROM unnest(%(keys)s::text[]) WITH ORDINALITY AS q(key, position)
JOIN partners_partner p ON p.name_key %% q.key
"""


@contextmanager
def _trigram_threshold(threshold: float):
    """A cursor whose `%` operator means "at least this alike"; the setting is put back afterwards, since an
    outer transaction (an import) would otherwise keep it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('pg_trgm.similarity_threshold', true)")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(threshold)])
        yield cursor
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [before or "0.3"])


def _keys(partners) -> list[tuple[int, str]]:
    """(organisation, key) for the name and each other name of these rows of (pk, name_key, other_names)."""
    return [
        (pk, key)
        for pk, name_key, others in partners
        for key in (name_key, *(similarity.name_key(name) for name in similarity.other_names(others)))
        if key
    ]


def _other_name_keys() -> list[tuple[int, str]]:
    """(organisation, key) for each other name; few organisations have any, and no index holds them."""
    return _keys(
        (pk, "", others) for pk, others in Partner.objects.exclude(other_names="").values_list("pk", "other_names")
    )


def _stored_name_keys():
    return Partner.objects.exclude(name_key="").values_list("pk", "name_key").iterator(chunk_size=CHUNK)


def _alike(keys: list[str], threshold: float) -> list[dict[int, float]]:
    """For each key, the stored organisations whose name or other names are at least `threshold` alike to
    it, with the best similarity: one query for all the keys."""
    if not keys:
        return []
    found = similarity.similar_to(keys, _other_name_keys(), threshold)
    if connection.vendor == "postgresql":
        with _trigram_threshold(threshold) as cursor:
            cursor.execute(POSTGRESQL_ALIKE, {"keys": keys})
            more = [(position - 1, pk, score) for position, pk, score in cursor.fetchall()]
    else:
        more = [
            (position, pk, score)
            for position, scores in enumerate(similarity.similar_to(keys, _stored_name_keys(), threshold))
            for pk, score in scores.items()
        ]
    for position, pk, score in more:
        scores = found[position]
        scores[pk] = max(score, scores.get(pk, 0.0))
    return found


def name_pairs(threshold: float = THRESHOLD, *, method: str = "python") -> dict[tuple[int, int], float]:
    """Every pair of organisations (smaller pk first) whose names or other names are at least `threshold`
    alike, with the best similarity of any of their names: through PostgreSQL's trigram index ("postgresql")
    or the Python inverted index ("python")."""
    others = _other_name_keys()
    if method == "postgresql":
        ids, keys = [pk for pk, _key in others], [key for _pk, key in others]
        with _trigram_threshold(threshold) as cursor:
            cursor.execute(POSTGRESQL_PAIRS, {"ids": ids, "keys": keys})
            return {(first, second): score for first, second, score in cursor.fetchall()}
    return similarity.similar_pairs([*_stored_name_keys(), *others], threshold)


def pairs_refresh(partners: Collection[int]) -> None:
    """Find again the pairs of these organisations (made, renamed, given other names)."""
    pks = sorted({pk for pk in partners if pk is not None})
    if not pks:
        return
    owned = _keys(Partner.objects.filter(pk__in=pks).values_list("pk", "name_key", "other_names"))
    found: dict[tuple[int, int], float] = {}
    for (owner, _key), scores in zip(owned, _alike([key for _owner, key in owned], THRESHOLD), strict=True):
        for other, score in scores.items():
            if other != owner:
                pair = (min(owner, other), max(owner, other))
                found[pair] = max(score, found.get(pair, 0.0))
    with transaction.atomic():
        SimilarPair.objects.filter(Q(first__in=pks) | Q(second__in=pks)).delete()
        _store(found)


def _store(pairs: dict[tuple[int, int], float]) -> None:
    SimilarPair.objects.bulk_create(
        [SimilarPair(first_id=first, second_id=second, similarity=score) for (first, second), score in pairs.items()],
        batch_size=1000,
    )


def refresh_after_save(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw:
        return
    if created or update_fields is None or {"name", "name_key", "other_names"} & set(update_fields):
        pairs_refresh([instance.pk])


def connect() -> None:
    for model in (Partner, LeadPartner):
        post_save.connect(refresh_after_save, sender=model, dispatch_uid=f"similar-pairs-{model.__name__}")


def similar_names(
    names: Iterable[str], *, limit: int = SUGGESTIONS, threshold: float = SUGGESTION_THRESHOLD
) -> dict[str, list[str]]:
    """For each name, up to `limit` stored organisations whose name or other names are close to it, closest
    first: {name: [stored names]}, names with none left out. The same few queries for any number of names."""
    names = list(dict.fromkeys(names))
    found = _alike([similarity.name_key(name) for name in names], threshold)
    best = {
        name: sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        for name, scores in zip(names, found, strict=True)
    }
    shown = {pk for scores in best.values() for pk, _score in scores[:limit]}
    stored = dict(Partner.objects.filter(pk__in=shown).values_list("pk", "name"))
    suggestions = {}
    for name, scores in best.items():
        closest = [stored[pk] for pk, _score in scores[:limit] if stored.get(pk, name) != name]
        if closest:
            suggestions[name] = closest
    return suggestions


# --- evidence and groups ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """Why some organisations may be one: how alike their names are, the city they share, their common projects."""

    names: float  # the least similarity of any two of them
    city: str = ""  # the city all of them name, as the first of them writes it
    shared_projects: int = 0  # the most projects that any two of them both take part in

    @property
    def score(self) -> float:
        return (
            self.names + (CITY_BONUS if self.city else 0) + PROJECT_BONUS * min(self.shared_projects, PROJECTS_COUNTED)
        )

    def reasons(self) -> list[str]:
        """The reasons as editors read them: "similar names 0.86", "same city: Brescia", "3 projects in common"."""
        found = [_("similar names %(similarity)s") % {"similarity": number_format(self.names, 2)}]
        if self.city:
            found.append(_("same city: %(city)s") % {"city": self.city})
        if self.shared_projects:
            found.append(
                ngettext("%(count)d project in common", "%(count)d projects in common", self.shared_projects)
                % {"count": self.shared_projects}
            )
        return found


@dataclass(frozen=True)
class DuplicateGroup:
    """Organisations that are probably one: every two of them have alike names."""

    members: tuple[int, ...]  # organisation pks, in the order the pairs joined them
    evidence: Evidence

    @property
    def score(self) -> float:
        return self.evidence.score


class _Candidate(NamedTuple):
    """A group before its projects in common are counted: how alike its names are and its common city."""

    members: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]
    names: float
    city: str
    least_score: float  # with no project in common
    best_score: float  # with PROJECTS_COUNTED in common


BEST_PROJECT_BONUS = PROJECT_BONUS * PROJECTS_COUNTED


def _candidate(members: tuple[int, ...], pairs: dict[tuple[int, int], float], cities: _Cities) -> _Candidate:
    if len(members) == 2:  # most groups: a plain pair
        inside = ((min(members), max(members)),)
        names = pairs[inside[0]]
    else:
        inside = tuple((min(a, b), max(a, b)) for i, a in enumerate(members) for b in members[i + 1 :])
        names = min(pairs[pair] for pair in inside)
    city = cities.common(members)
    least = names + CITY_BONUS if city else names  # as Evidence.score counts, without projects
    return _Candidate(members, inside, names, city, least, least + BEST_PROJECT_BONUS)


class _Cities:
    """The city of each organisation in a pair, as written and folded (so that "Forlì" is "FORLI")."""

    def __init__(self, written: dict[int, str]):
        self.written = written
        self.folded = {pk: similarity.fold(city) for pk, city in written.items()}

    def common(self, members) -> str:
        """The city every member names (as the first of them writes it), or ""."""
        folded = self.folded
        first = folded.get(members[0], "")
        if first and all(folded.get(member) == first for member in members[1:]):
            return self.written[members[0]]
        return ""


def _stored_pairs() -> tuple[dict[tuple[int, int], float], _Cities]:
    """Every stored pair with its similarity, and the cities of the organisations in them."""
    pairs, cities = {}, {}
    rows = SimilarPair.objects.values_list("first", "second", "similarity", "first__city", "second__city")
    for first, second, score, one, other in rows:
        pairs[first, second] = score
        cities[first], cities[second] = one, other
    return pairs, _Cities(cities)


def _groups(pairs: dict[tuple[int, int], float], cities: _Cities) -> list[tuple[int, ...]]:
    """Groups in which every two members are a pair, built from the best pairs down (complete linkage, so
    that "Comune di Ravenna" ~ "Comune di Ravenne" ~ "Comune di Enna" never chains into one group). A
    pair whose two members went to different groups is listed as a group of its own."""
    folded = cities.folded
    bonus = {pair: CITY_BONUS for pair in pairs if folded.get(pair[0]) and folded[pair[0]] == folded.get(pair[1])}
    order = sorted(pairs, key=lambda pair: (-pairs[pair] - bonus.get(pair, 0), pair))
    group_of: dict[int, list[int]] = {}
    groups: list[list[int]] = []
    for first, second in order:
        one, other = group_of.get(first), group_of.get(second)
        if one is None and other is None:
            group = [first, second]
            groups.append(group)
            group_of[first] = group_of[second] = group
        elif one is not None and other is not None:
            if one is not other:
                groups.append([first, second])
        else:
            group, newcomer = (one, second) if one is not None else (other, first)
            fits = len(group) < GROUP_AT_MOST and all(
                (min(member, newcomer), max(member, newcomer)) in pairs for member in group
            )
            if fits:
                group.append(newcomer)
                group_of[newcomer] = group
            else:
                groups.append([first, second])
    return [tuple(group) for group in groups]


class DuplicateGroups(Sequence):
    """The probable duplicates, likeliest first, as a sequence the admin's paginator reads a page of.

    Counting the projects two organisations have in common means reading their roles, half a million
    rows at 10,000 organisations in 100,000 projects: so they are counted only for the groups that can
    reach the page asked for. A group's projects in common add at most PROJECTS_COUNTED bonuses to what
    its names and city give, so once the groups not yet counted could not score above the last one of
    the page even with those, the page's order is final (the threshold algorithm).
    """

    BATCH = 100  # groups counted at first; then as many as were counted before

    def __init__(self):
        pairs, cities = _stored_pairs()
        candidates = [_candidate(members, pairs, cities) for members in _groups(pairs, cities)]
        candidates.sort(key=lambda candidate: (-candidate.least_score, candidate.members))
        self._candidates = candidates
        self._counted: list[DuplicateGroup] = []
        self._sorted: list[DuplicateGroup] = []  # the groups counted, in order: final as far as _rank made it

    def __len__(self) -> int:
        return len(self._candidates)

    def __getitem__(self, index):
        if isinstance(index, slice):
            self._rank(index.indices(len(self))[1])
        else:
            self._rank(range(len(self))[index] + 1)
        return self._sorted[index]

    def _rank(self, wanted: int) -> None:
        """Make the order of the first `wanted` groups final (the ones after may still move up)."""
        while len(self._counted) < len(self._candidates):
            following = self._candidates[len(self._counted)]
            # Equal scores keep the order of the candidates: one not counted yet that could at best tie with
            # the last group of the page would come after it.
            if len(self._sorted) >= wanted and following.best_score <= self._sorted[wanted - 1].score:
                return
            # Batches grow as they go: a far page needs most groups counted, in a few queries.
            size = max(self.BATCH, len(self._counted))
            self._count(self._candidates[len(self._counted) : len(self._counted) + size])
            ranked = sorted(enumerate(self._counted), key=lambda item: (-item[1].score, item[0]))
            self._sorted = [group for _position, group in ranked]

    def _count(self, candidates: list[_Candidate]) -> None:
        wanted = {pair for candidate in candidates for pair in candidate.pairs}
        shared = _projects_in_common(sorted({pk for pair in wanted for pk in pair}), wanted)
        for candidate in candidates:
            evidence = Evidence(candidate.names, candidate.city, max(shared.get(pair, 0) for pair in candidate.pairs))
            self._counted.append(DuplicateGroup(candidate.members, evidence))


def _projects_in_common(partners: list[int], pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """How many projects each of these pairs of organisations both take part in (pairs with none left out)."""
    participations = Partner._meta.get_field("participations").related_model.objects
    if len(partners) <= COUNTED_IN_THE_DATABASE:
        # The database reads their roles through its indexes and sends back only the pairs it finds together.
        rows = (
            participations.filter(
                partner__in=partners,
                project__participations__partner__in=partners,
                partner__lt=F("project__participations__partner"),
            )
            .order_by()
            .values_list("partner", "project__participations__partner")
            .annotate(count=Count("project", distinct=True))
        )
        return {(first, second): count for first, second, count in rows if (first, second) in pairs}
    # Thousands of organisations (a far page): their roles are read once, which beats the database pairing
    # every two of them that share a project.
    projects: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(partners), CHUNK):
        chunk = partners[start : start + CHUNK]
        for partner, project in participations.filter(partner__in=chunk).values_list("partner", "project"):
            projects[partner].add(project)
    counts = {pair: len(projects[pair[0]] & projects[pair[1]]) for pair in pairs}
    return {pair: count for pair, count in counts.items() if count}
