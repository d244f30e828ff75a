"""The public site at national scale: server time, queries and floors of every page, exports, throughput.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python benchmarks/scale_benchmark.py \
        [--projects 100000 | --no-generate] [--repeat 30] [--explain docs/query-plans.md] \
        [--skip-load] [--skip-exports]

Against a PostgreSQL database holding at least --projects projects (made with
`manage.py generate_projects` when there are fewer, unless --no-generate), after VACUUM ANALYZE:
- every case below is requested in-process with Django's test Client (DEBUG off, in a fresh process),
  once to warm up and then --repeat times, each as the page's first view (the cache and the searches the
  facets keep are emptied before each request): median and p95 (nearest rank) of the server time, the
  number of queries (CaptureQueriesContext), the size of the answer and the time spent in SQL; then
  --repeat times after a one-project change to the index ("after an edit": the page's cache is stale,
  the searches the facets keep are brought up to date, as after an editor saves a project), then
  --repeat times more without emptying anything ("again": the page asked again while the index is
  unchanged, as most views of a page are). The goals are checked on the first views. Cases: the
  list (plain, a far page, `q` with a common and a rare word, each filter alone with a busy value, a
  municipality with few projects, `q` with three filters, each sort), the facets endpoint (plain and
  filtered), two detail pages, the page of the organisation with the most projects and the API list; and the
  about page, which sends no query of its own, as the least any page costs (no goal applies to it).
  A URL that answers 404 (a feature not built yet in this checkout) is reported as skipped.
- the floor: each case's main query run alone on a cursor, --repeat times; the ratio is case / floor.
  A list's main query (the list, the API list) is what the list is about: its filtered projects' count and
  the page of them it shows, as the FilterSet writes them; the facets' is the count of every facet value
  over the filtered projects; another page's is the slowest query it sends.
- the CSV and JSON exports, unfiltered, each in a fresh process: rows/s and peak memory (max RSS).
- gunicorn (3 workers) driven by wrk (else by a Python client) with 10 connections: requests/s of
  /projects/ against /health/ (one SELECT 1) in the same run, after a warm-up (so /projects/ is mostly
  read from each worker's cache, as a page many visitors ask for is).
Prints a table of the cases, the exports, the throughput and each goal of the issue with PASS or FAIL;
the exit status is 0 whatever the figures. With --explain, writes the EXPLAIN (ANALYZE, BUFFERS) plan
of each case's main query to a Markdown page. Nothing here is run by the test suite.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

from memory import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

# The goals.
LIST_MEDIAN_MS = 100
LIST_P95_MS = 250
FLOOR_RATIO = 3
DETAIL_MEDIAN_MS = 30
ADMIN_MEDIAN_MS = 300  # every admin list and change form at 100,000 projects
MAX_QUERIES = 12
LIST_HTML_KB = 100
THROUGHPUT_SHARE = 1 / 3
EXPORT_ROWS_PER_SECOND = 10_000

# A case repeats --repeat times, or fewer when its runs have taken --budget seconds, but never fewer than this.
MIN_RUNS = 3
WORKERS = 3
CONNECTIONS = 10
# Words of five letters or more that say nothing of a project: never picked as the "common word".
STOP_WORDS = {
    "della", "delle", "degli", "dello", "nella", "nelle", "negli", "nello", "dalla", "dalle", "dagli", "sulla",
    "sulle", "sugli", "alla", "alle", "agli", "anche", "come", "sono", "questo", "questa", "quale", "quali",
    "presso", "verso", "attraverso", "tutti", "tutte", "ogni", "loro", "essere", "progetto", "progetti",
}  # fmt: skip


def django_setup():
    import django

    django.setup()


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.1f}"


# --- the data the cases ask for -------------------------------------------------------------------


def registry_figures() -> dict:
    from django.db import connection

    from partners.models import Partner
    from projects.models import Funder, Programme, Project

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    published = Project.objects.published().count()
    return {
        "postgresql": version,
        "published": published,
        "drafts": Project.objects.count() - published,
        "organisations": Partner.objects.count(),
        "funders": Funder.objects.count(),
        "programmes": Programme.objects.count(),
    }


def sample_texts(limit: int = 5000) -> list[str]:
    """Titles and summaries of about `limit` published projects, read from a block sample (no full scan)."""
    from django.db import connection

    from projects.models import Project

    table = Project._meta.db_table
    total = Project.objects.published().count() or 1
    share = min(100.0, 100.0 * limit * 3 / total)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT title || ' ' || acronym || ' ' || summary FROM {table} TABLESAMPLE SYSTEM (%s) "
            f"WHERE is_published LIMIT %s",
            [share, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def matching_count(word: str, most: int) -> int:
    """How many published projects `q=word` finds, up to `most` (by the site's own search when it has one)."""
    from projects.models import Project

    projects = Project.objects.published()
    found = projects.search(word) if hasattr(projects, "search") else projects.filter(title__icontains=word)
    return found.values("pk")[:most].count()


def pick_words(common: str | None, rare: str | None) -> tuple[tuple[str, str], tuple[str, str]]:
    """(word, how it was chosen) for the common and the rare search."""
    texts = sample_texts()
    frequency = Counter()
    for text in texts:
        frequency.update({word for word in re.findall(r"[^\W\d_]{5,}", text.lower()) if word not in STOP_WORDS})
    if common:
        common_pick = (common, "given")
    else:
        word, seen = frequency.most_common(1)[0] if frequency else ("inclusione", 0)
        common_pick = (word, f"in {seen} of {len(texts)} sampled projects")
    if rare:
        return common_pick, (rare, "given")
    # A word seen once in the sample may still be everywhere else (a place name is found in every project of
    # a territory that contains it): each candidate is checked with the search itself. Names of organisations
    # in one project and acronyms used once come first, then the words seen once in the sample.
    candidates = [*rare_name_words(), *sorted(word for word, seen in frequency.items() if seen == 1)]
    for word in list(dict.fromkeys(candidates))[:60]:
        found = matching_count(word, 11)
        if 1 <= found <= 10:
            return common_pick, (word, f"finds {found} project{'' if found == 1 else 's'}")
    return common_pick, ("zzyzx", "no rare word found: a word that finds nothing")


def rare_name_words() -> list[str]:
    from django.db.models import Count

    from partners.models import Partner
    from projects.models import Project

    names = (
        Partner.objects.filter(participations__project__is_published=True)
        .annotate(n=Count("participations"))
        .order_by("n", "name")
        .values_list("name", flat=True)[:50]
    )
    acronyms = (
        Project.objects.published()
        .exclude(acronym="")
        .values("acronym")
        .annotate(n=Count("pk"))
        .filter(n=1)
        .order_by("acronym")
        .values_list("acronym", flat=True)[:50]
    )
    words = []
    for text in [*names, *acronyms]:
        words += [word for word in re.findall(r"[^\W\d_]{5,}", text.lower()) if word not in STOP_WORDS]
    return words


def busiest(queryset, key: str, value_fields: tuple[str, ...], *, distinct: bool = False) -> dict | None:
    """The value of `value_fields` that most rows of the queryset have, with their number (n)."""
    from django.db.models import Count

    rows = (
        queryset.filter(**{f"{value_fields[0]}__isnull": False})
        .values(*value_fields)
        .annotate(n=Count(key, distinct=distinct))
        .order_by("-n", *value_fields)
    )
    return rows.first()


def pick_values(args) -> dict:
    """Real values from the database for each case: the busiest funder, organisation, place…"""
    from django.db import connection
    from django.db.models import Count

    from projects.models import Municipality, Participation, Project, ProjectTargetGroup, ProjectTheme

    published = Project.objects.published()
    values = {}
    values["funder"] = busiest(published, "pk", ("funders__slug",))
    values["programme"] = busiest(published, "pk", ("programmes__slug",))
    links = Participation.objects.filter(project__is_published=True)
    values["partner"] = busiest(links, "pk", ("partner__slug", "partner__name"))
    values["lead_partner"] = busiest(links.filter(role="lead"), "pk", ("partner__slug", "partner__name"))
    places = Municipality.objects.filter(territories__projects__is_published=True)
    values["municipality"] = busiest(places, "territories__projects", ("istat_code", "name", "province_code"))
    values["municipality_few"] = (
        places.values("istat_code", "name")
        .annotate(n=Count("territories__projects"))
        .filter(n__lte=5)
        .order_by("-n", "istat_code")
        .first()
    )
    # A project is in a province once however many of its municipalities are there.
    values["province"] = busiest(places, "territories__projects", ("province_code",), distinct=True)
    values["region"] = busiest(places, "territories__projects", ("region_code",), distinct=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT country.code, count(*) AS n FROM {Project._meta.db_table}, "
            "jsonb_array_elements_text(countries) AS country(code) "
            "WHERE is_published GROUP BY country.code ORDER BY n DESC, country.code LIMIT 1"
        )
        row = cursor.fetchone()
    values["country"] = {"code": row[0], "n": row[1]} if row else None
    values["theme"] = busiest(ProjectTheme.objects.filter(project__is_published=True), "pk", ("theme",))
    values["target_group"] = busiest(
        ProjectTargetGroup.objects.filter(project__is_published=True), "pk", ("target_group",)
    )
    values["words"] = pick_words(args.common_word, args.rare_word)
    count = published.count()
    values["typical_project"] = published.order_by("pk").values_list("slug", flat=True)[count // 2] if count else None
    values["crowded_project"] = busiest(links, "pk", ("project__slug",))
    if values["crowded_project"]:
        values["crowded_project_pk"] = Project.objects.get(slug=values["crowded_project"]["project__slug"]).pk
    if values.get("partner"):
        from partners.models import Partner

        values["partner_pk"] = Partner.objects.get(slug=values["partner"]["partner__slug"]).pk
    values["published"] = count
    return {name: value for name, value in values.items() if value is not None}


def build_cases(values: dict) -> list[dict]:
    """(name, group, path) of each case. The group says which goals apply."""
    from django.conf import settings

    cases = []

    def add(name, group, path, params=None):
        cases.append({"name": name, "group": group, "path": path + (f"?{urlencode(params)}" if params else "")})

    def filtered(name, value, shown=None, count=None):
        label = f"{name}={shown or value}" + (f" ({count:,})" if count is not None else "")
        add(label, "list", "/projects/", {name: value})

    add("list", "list", "/projects/")
    pages = max(1, math.ceil(values.get("published", 0) / settings.PROJECTS_PER_PAGE))
    add(f"list page={min(500, pages)}", "list", "/projects/", {"page": min(500, pages)})
    (common, common_how), (rare, rare_how) = values["words"]
    add(f"q={common} (common: {common_how})", "list", "/projects/", {"q": common})
    add(f"q={rare} (rare: {rare_how})", "list", "/projects/", {"q": rare})
    for name in ("funder", "programme"):
        if name in values:
            value = values[name][f"{name}s__slug"]
            filtered(name, value, count=values[name]["n"])
    for name in ("partner", "lead_partner"):
        if name in values:
            filtered(name, values[name]["partner__slug"], count=values[name]["n"])
    if "region" in values:
        filtered("region", values["region"]["region_code"], count=values["region"]["n"])
    if "province" in values:
        filtered("province", values["province"]["province_code"], count=values["province"]["n"])
    if "municipality" in values:
        place = values["municipality"]
        filtered("municipality", place["istat_code"], f"{place['istat_code']} {place['name']}", place["n"])
    if "municipality_few" in values and values["municipality_few"]["istat_code"] != values.get("municipality", {}).get(
        "istat_code"
    ):
        place = values["municipality_few"]
        filtered("municipality", place["istat_code"], f"{place['istat_code']} {place['name']}", place["n"])
    if "country" in values:
        filtered("country", values["country"]["code"], count=values["country"]["n"])
    if "theme" in values:
        filtered("theme", values["theme"]["theme"], count=values["theme"]["n"])
    if "target_group" in values:
        filtered("target_group", values["target_group"]["target_group"], count=values["target_group"]["n"])
    filtered("status", "active")
    year = dt.date.today().year
    filtered("year", year)
    combined = {"q": common, "year": year}
    if "theme" in values:
        combined["theme"] = values["theme"]["theme"]
    if "region" in values:
        combined["region"] = values["region"]["region_code"]
    add("q + " + " + ".join(name for name in combined if name != "q"), "list", "/projects/", combined)
    for sort in ("title", "-title", "start", "-start", "end", "-end"):
        add(f"sort={sort}", "list", "/projects/", {"sort": sort})
    add("facets", "facets", "/api/v1/projects/facets/")
    facet_filters = {key: value for key, value in combined.items() if key in ("theme", "region")}
    add("facets " + " + ".join(facet_filters), "facets", "/api/v1/projects/facets/", facet_filters)
    if values.get("typical_project"):
        add("detail (typical project)", "detail", f"/projects/{values['typical_project']}/")
    if "crowded_project" in values:
        crowded = values["crowded_project"]
        add(f"detail ({crowded['n']} organisations)", "detail", f"/projects/{crowded['project__slug']}/")
    if "partner" in values:
        partner = values["partner"]
        add(f"organisation page ({partner['n']:,} projects)", "partner", f"/partners/{partner['partner__slug']}/")
    add("API list", "api", "/api/v1/projects/")
    # What any page of the site costs before it does any work of its own: the middleware, the base template, the
    # index's stamp. No goal applies to it; a floor ratio below this page's time over the floor cannot be met.
    add("about (a page with no query of its own)", "reference", "/about/")
    # The overviews and the organisations' list: pages a visitor reaches from the home page.
    add("home", "page", "/")
    add("funders", "page", "/funders/")
    if "funder" in values:
        funder = values["funder"]
        add(f"funder page ({funder['n']:,} projects)", "page", f"/funders/{funder['funders__slug']}/")
    add("places", "page", "/places/")
    for url, label in place_pages(values):
        add(label, "page", url)
    add("organisations", "organisations", "/partners/")
    add("organisations role=lead", "organisations", "/partners/", {"role": "lead"})
    add("organisations role=supporting", "organisations", "/partners/", {"role": "supporting"})
    add("organisations page=100", "organisations", "/partners/", {"page": 100})
    # The editors' admin, logged in: its lists, its search (the site's), the busiest records' forms.
    add("admin: projects", "admin", "/admin/projects/project/")
    add(f"admin: projects q={common}", "admin", "/admin/projects/project/", {"q": common})
    if values.get("crowded_project_pk"):
        add(
            "admin: project form (most organisations)",
            "admin",
            f"/admin/projects/project/{values['crowded_project_pk']}/change/",
        )
    add("admin: organisations", "admin", "/admin/partners/partner/")
    add("admin: organisations role=supporting", "admin", "/admin/partners/partner/", {"role": "supporting"})
    if values.get("partner_pk"):
        add("admin: organisation form (busiest)", "admin", f"/admin/partners/partner/{values['partner_pk']}/change/")
    add("admin: funders", "admin", "/admin/projects/funder/")
    add("admin: programmes", "admin", "/admin/projects/programme/")
    add("admin: territories", "admin", "/admin/projects/territory/")
    if "region" in values:
        add(
            "admin: territories by region",
            "admin",
            "/admin/projects/territory/",
            {"region": values["region"]["region_code"]},
        )
    add("admin: change sets", "admin", "/admin/registry/changeset/")
    return cases


def place_pages(values: dict) -> list[tuple[str, str]]:
    """(address, name) of the busiest region's, province's and municipality's pages, where this checkout has them."""
    try:
        from registry.overviews import _place_urls, municipalities, provinces, regions
    except ImportError:
        return []

    def path_to(province_code: str):
        return next(([r, p] for r in regions() for p in provinces(r) if p.code == province_code), None)

    pages = []
    region = next((r for r in regions() if r.code == values.get("region", {}).get("region_code")), None)
    if region is not None:
        pages.append((_place_urls([region])[0], f"region page ({region.name}, {values['region']['n']:,} projects)"))
    province = path_to(values.get("province", {}).get("province_code"))
    if province is not None:
        pages.append((_place_urls(province)[1], f"province page ({province[1].name})"))
    town = values.get("municipality", {})
    around = path_to(town.get("province_code"))
    found = next((t for t in municipalities(around[1]) if t.code == town["istat_code"]), None) if around else None
    if found is not None:
        pages.append((_place_urls([*around, found])[2], f"municipality page ({found.name}, {town['n']:,} projects)"))
    return pages


# --- one case: requests, queries, floor, plan --------------------------------------------------------


class QueryTimer:
    """Times each query the code sends (execute_wrapper): perf_counter precision, SQL and parameters kept."""

    def __init__(self):
        self.calls = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.calls.append((sql, params, time.perf_counter() - start))


def one_request(client, path: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timer = QueryTimer()
    connection.queries_log.clear()  # a bounded deque: a long run would otherwise shift the captured slice
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        start = time.perf_counter()
        response = client.get(path)
        if getattr(response, "streaming", False):
            size = sum(len(chunk) for chunk in response.streaming_content)
        else:
            size = len(response.content)
        seconds = time.perf_counter() - start
    return {
        "status": response.status_code,
        "bytes": size,
        "seconds": seconds,
        "queries": len(captured.captured_queries),
        "texts": [query["sql"] for query in captured.captured_queries],
        "calls": timer.calls,
    }


def main_query(runs: list[dict]) -> tuple[str, list, str] | None:
    """(SQL, parameters, SQL as sent) of the query that takes the longest, by its median over the runs.

    The floor of a page that is not a list (a detail page, an organisation's page): what the database
    cannot do faster for it. The ratio then says what Django, the other queries and the rendering add.
    """
    times: dict[tuple, list[float]] = {}
    found: dict[tuple, tuple] = {}
    for run in runs:
        seen = Counter()
        for position, (sql, params, seconds) in enumerate(run["calls"]):
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            identity = (sql, repr(params))
            seen[identity] += 1
            key = (*identity, seen[identity])
            times.setdefault(key, []).append(seconds)
            text = run["texts"][position] if len(run["texts"]) == len(run["calls"]) else sql
            found.setdefault(key, (sql, params, text))
    if not times:
        return None
    slowest = max(times, key=lambda key: statistics.median(times[key]))
    return found[slowest]


def within_budget(times: list[float], repeat: int, budget: float) -> bool:
    """Another run? Up to `repeat`, unless the runs so far have used the budget (three at least)."""
    return len(times) < repeat and (len(times) < MIN_RUNS or sum(times) < budget)


def floor_of(queries: list[tuple[str, list]], repeat: int, budget: float) -> float:
    """The median time of these queries run one after the other on a cursor."""
    from django.db import connection

    seconds = []
    with connection.cursor() as cursor:
        for sql, params in queries:  # warms the caches, as the page's warm-up request did
            cursor.execute(sql, params)
            cursor.fetchall()
        while within_budget(seconds, repeat, budget):
            start = time.perf_counter()
            for sql, params in queries:
                cursor.execute(sql, params)
                cursor.fetchall()
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def list_main_queries(case: dict) -> list[tuple[str, list, str]] | None:
    """(SQL, parameters, SQL as sent) of a list's main query, the bare SQL of what the page is about: for
    the list and the API list, the count of the projects its filters give and the page of them it shows,
    in its order, as the FilterSet writes them (no facets, no cache); for the facets, how many of those
    projects each listed facet value has. None for another page, or a checkout without these parts."""
    if case["group"] not in ("list", "api", "facets"):
        return None
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    try:
        from projects.filters import ProjectFilter
        from projects.models import LISTED_FACETS, Project, ProjectFacet
        from projects.search import RANKED_AT_MOST, Words
    except ImportError:
        return None
    query = QueryDict(case["path"].partition("?")[2])
    project_filter = ProjectFilter(query or None, queryset=Project.objects.published())
    if project_filter.is_bound and not project_filter.is_valid():
        return None
    timer = QueryTimer()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        if case["group"] == "facets":
            rows = ProjectFacet.objects.filter(facet__in=LISTED_FACETS, project__in=project_filter.qs.order_by())
            list(rows.values("facet", "value").annotate(n=Count("pk")).order_by())
        else:
            projects = project_filter.qs
            count = projects.count()
            chosen = project_filter.form.cleaned_data if project_filter.is_bound else {}
            if Words.parse(chosen.get("q") or "") and count > RANKED_AT_MOST and not chosen.get("sort"):
                projects = projects.order_by("title", "pk")  # as the list orders a word most projects contain
            size = settings.PROJECTS_PER_PAGE if case["group"] == "list" else 20
            page = int(query.get("page") or 1)
            list(projects[(page - 1) * size : page * size])
    texts = [query["sql"] for query in captured.captured_queries]
    return [(sql, params, text) for (sql, params, _), text in zip(timer.calls, texts, strict=True)]


def plan_of(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def edit_one_project(pk: int) -> None:
    """What an editor's save does to the index: the project indexed again, the index's stamp changed."""
    from projects.services.index import projects_index

    projects_index([pk])


def forget_pages() -> None:
    """The pages kept in the cache (and the API's request counts with them) and the searches and typed filters
    the facets keep: what a page costs the first time it is asked for."""
    from django.core.cache import cache

    cache.clear()
    try:
        from projects.facets import forget_selections
    except ImportError:  # a checkout from before the facets
        return
    forget_selections()


def measure_case(client, case: dict, repeat: int, budget: float, explain: bool, edited: int | None) -> dict:
    outcome = dict(case)
    try:
        warm = one_request(client, case["path"])
    except Exception as error:  # a 500 in a checkout still being built: report it, measure the rest
        outcome["error"] = f"{type(error).__name__}: {error}".splitlines()[0][:200]
        traceback.print_exc(limit=-3)
        return outcome
    outcome["status"] = warm["status"]
    if warm["status"] == 404:
        outcome["skipped"] = "answers 404 (not in this checkout?)"
        return outcome
    runs, seconds = [], []
    while within_budget(seconds, repeat, budget):
        forget_pages()  # each timed request is the page's first view: nothing of it in the cache
        runs.append(one_request(client, case["path"]))
        seconds.append(runs[-1]["seconds"])
    # Then the page's first view after an editor saved a project: the cache is stale, what is kept is updated.
    if edited is not None:
        after_edit = []
        while within_budget(after_edit, repeat, budget):
            edit_one_project(edited)
            after_edit.append(one_request(client, case["path"])["seconds"])
        outcome["edit_median"] = statistics.median(after_edit)
        outcome["edit_p95"] = nearest_rank(after_edit, 0.95)
    # Then the page asked again while the index is unchanged, as most views of a page are.
    again = [one_request(client, case["path"])]
    while within_budget([run["seconds"] for run in again[1:]], repeat, budget):
        again.append(one_request(client, case["path"]))
    outcome["cached_median"] = statistics.median(run["seconds"] for run in again[1:])
    outcome["cached_p95"] = nearest_rank([run["seconds"] for run in again[1:]], 0.95)
    outcome["cached_queries"] = max(run["queries"] for run in again[1:])
    outcome.update(
        runs=len(runs),
        median=statistics.median(seconds),
        p95=nearest_rank(seconds, 0.95),
        sql=statistics.median(sum(call[2] for call in run["calls"]) for run in runs),
        queries=max(run["queries"] for run in runs),
        bytes=runs[-1]["bytes"],
        statuses=sorted({run["status"] for run in runs}),
    )
    main = list_main_queries(case) or ([main_query(runs)] if main_query(runs) else [])
    if main:
        outcome["floor"] = floor_of([(sql, params) for sql, params, _ in main], repeat, budget)
        outcome["main_sql"] = ";\n\n".join(text for _, _, text in main)
        if explain:
            outcome["plan"] = "\n\n".join(plan_of(sql, params) for sql, params, _ in main)
    return outcome


def edited_project() -> int | None:
    """The project "after an edit" saves again: a published one, the same for every case."""
    try:
        from projects.services.index import projects_index  # noqa: F401 (a checkout without the write layer)
    except ImportError:
        return None
    from projects.models import Project

    return Project.objects.filter(is_published=True).order_by("pk").values_list("pk", flat=True).first()


def child_requests(args) -> None:
    django_setup()
    from django.test import Client

    values = pick_values(args)
    cases = build_cases(values)
    if args.cases:
        cases = [case for case in cases if re.search(args.cases, case["name"])]
    # The hosts the settings allow (the test Client's "testserver" is added only inside the test suite).
    client = Client(HTTP_HOST="localhost")
    editor = Client(HTTP_HOST="localhost")
    if any(case["group"] == "admin" for case in cases):
        from django.contrib.auth.models import User

        account, _ = User.objects.get_or_create(
            username="scale-benchmark", defaults={"is_staff": True, "is_superuser": True}
        )
        editor.force_login(account)
    edited = edited_project()
    results = []
    for case in cases:
        asking = editor if case["group"] == "admin" else client
        outcome = measure_case(asking, case, args.repeat, args.budget, bool(args.explain), edited)
        shown = outcome.get("skipped") or outcome.get("error") or f"{ms(outcome['median'])} ms"
        print(f"  {case['name']}: {shown}", file=sys.stderr, flush=True)
        results.append(outcome)
    print(json.dumps({"cases": results}, default=str))


# --- exports ---------------------------------------------------------------------------------------


def count_json_records(path: Path) -> int:
    """Records of a JSON array, read a piece at a time (a million records would not fit as one object)."""
    decoder = json.JSONDecoder()
    count, eof = 0, False
    with path.open(encoding="utf-8") as stream:
        buffer = stream.read(1 << 20).lstrip()
        if not buffer.startswith("["):
            raise ValueError("the JSON export is not an array")
        buffer = buffer[1:]
        while True:
            buffer = buffer.lstrip()
            if buffer.startswith(","):
                buffer = buffer[1:].lstrip()
            if buffer.startswith("]"):
                return count
            try:
                _, end = decoder.raw_decode(buffer)
            except json.JSONDecodeError:
                if eof:
                    raise
                more = stream.read(1 << 20)
                eof = not more
                buffer += more
                continue
            count += 1
            buffer = buffer[end:]


def child_export(path: str) -> None:
    django_setup()
    from django.test import Client

    from projects.models import Project

    expected = Project.objects.published().count()
    client = Client(HTTP_HOST="localhost")
    before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "export"
        start = time.perf_counter()
        response = client.get(path)
        if response.status_code != 200:
            print(json.dumps({"status": response.status_code}))
            return
        with saved.open("wb") as out:
            for chunk in response.streaming_content if response.streaming else [response.content]:
                out.write(chunk)
        seconds = time.perf_counter() - start
        # Taken before the rows are counted: counting reads the file back in this process.
        peak = peak_rss_mb()
        if path.endswith(".csv"):
            with saved.open(encoding="utf-8-sig", newline="") as stream:
                rows = sum(1 for _ in csv.reader(stream)) - 1
        else:
            rows = count_json_records(saved)
        print(
            json.dumps(
                {
                    "status": 200,
                    "seconds": seconds,
                    "rows": rows,
                    "expected": expected,
                    "megabytes": saved.stat().st_size / 1e6,
                    "rss_before_mb": before,
                    "peak_rss_mb": peak,
                }
            )
        )


# --- throughput ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(port: int, path: str, timeout: float = 5) -> int | None:
    try:
        connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", path)
        status = connection.getresponse().status
        connection.close()
        return status
    except OSError:
        return None


def run_wrk(url: str, seconds: int) -> dict:
    completed = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url], capture_output=True, text=True
    )
    text = completed.stdout

    def latency(label):
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not found:
            return None
        return float(found[1]) * {"us": 1e-6, "ms": 1e-3, "s": 1}[found[2]]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return {
        "rps": float(rate[1]) if rate else 0.0,
        "p50": latency("50"),
        "p99": latency("99"),
        "non_2xx": int(errors[1]) if errors else 0,
        "raw": text if not rate else "",
    }


def run_python_client(port: int, path: str, seconds: int) -> dict:
    """CONNECTIONS threads, each on one keep-alive connection (opened again when the server closes it)."""
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def work():
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
                if response.will_close:
                    connection.close()
            except OSError:
                connection.close()
                bad += 1
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=work) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "rps": len(latencies) / seconds,
        "p50": nearest_rank(latencies, 0.5) if latencies else None,
        "p99": nearest_rank(latencies, 0.99) if latencies else None,
        "non_2xx": failures[0],
        "raw": "",
    }


def throughput(seconds: int) -> dict:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return {"skipped": "gunicorn is not installed (pip install -e .)"}
    port = free_port()
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        server = subprocess.Popen(
            # gunicorn's defaults (sync workers, no access log) rather than the project's gunicorn.conf.py: the
            # figures compare the two views in one process model, as earlier runs did.
            [sys.executable, "-m", "gunicorn", "registry.wsgi:application", "--config", os.devnull]
            + ["--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while http_status(port, "/health/") is None:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    return {"skipped": f"gunicorn did not start:\n{log.read()[-2000:]}"}
                time.sleep(0.3)
            tool = "wrk" if shutil.which("wrk") else "python"
            results = {"tool": tool, "workers": WORKERS, "connections": CONNECTIONS, "seconds": seconds}
            for name, path in (("trivial", "/health/"), ("projects", "/projects/")):
                # The first answer may take a while: the worker reads the facets' bitmaps (9 s at a million).
                status = http_status(port, path, timeout=120)
                if status != 200:
                    results[name] = {"skipped": f"{path} answers {status}"}
                    continue
                # Every worker loads its templates, opens its connection, reads the facets' bitmaps (seconds
                # at a million projects) and keeps the page before the clock starts: warm-up runs until the
                # rate stops rising.
                warm_up = min(3, seconds)

                def drive(length: int, path: str = path) -> dict:
                    if tool == "wrk":
                        return run_wrk(f"http://127.0.0.1:{port}{path}", length)
                    return run_python_client(port, path, length)

                rates = [drive(warm_up)["rps"]]
                while len(rates) < 2 or (rates[-1] > rates[-2] * 1.1 and len(rates) < 30):
                    rates.append(drive(warm_up)["rps"])
                results[name] = drive(seconds)
                results[name]["warm_up_runs"] = len(rates)
                results[name]["path"] = path
            return results
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


# --- the run ---------------------------------------------------------------------------------------


def run_child(args: list[str], *, stream_stderr: bool = True) -> dict:
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        stdout=subprocess.PIPE,
        stderr=None if stream_stderr else subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode or not lines:
        raise SystemExit(f"the child run {args} failed:\n{completed.stdout[-3000:]}{completed.stderr or ''}")
    return json.loads(lines[-1])


def prepare_database(args) -> dict:
    """Migrations applied, at least --projects published projects, statistics fresh; what the database holds."""
    django_setup()
    from django.core.management import call_command, get_commands
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if connection.vendor != "postgresql":
        raise SystemExit("The scale benchmark runs on PostgreSQL only (give --database-url postgres://…).")
    if MigrationExecutor(connection).migration_plan(MigrationExecutor(connection).loader.graph.leaf_nodes()):
        print("applying migrations…", flush=True)
        call_command("migrate", verbosity=0)
    figures = registry_figures()
    # Drafts count: generate_projects makes some, as editors do, and asked for N it makes N in all.
    held = figures["published"] + figures["drafts"]
    if held < args.projects and args.no_generate:
        print(f"note: {held:,} projects, fewer than --projects {args.projects:,}")
    elif held < args.projects:
        if "generate_projects" not in get_commands():
            raise SystemExit(
                f"The database has {held:,} projects and this checkout has no "
                "generate_projects command to add more: run with --no-generate to measure what is there."
            )
        # generate_projects N makes projects 1 to N of its seed, skipping those unchanged: asked for N, it
        # tops up a database generated before with the same seed. Only with as many organisations, though:
        # they grow with N (N^0.8), so a database of 100,000 asked for 1,000,000 sees its projects rewritten
        # (about 100 a second); for a new size, a new database is faster.
        print(f"generate_projects {args.projects} --seed {args.seed}…", flush=True)
        start = time.perf_counter()
        connection.close()
        subprocess.run(
            [sys.executable, "manage.py", "generate_projects", str(args.projects), "--seed", str(args.seed)],
            cwd=ROOT,
            check=True,
        )
        print(f"generated in {time.perf_counter() - start:.0f} s")
        figures = registry_figures()
    if not args.no_vacuum:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        figures["vacuum_seconds"] = time.perf_counter() - start
    call_command("collectstatic", interactive=False, verbosity=0)
    connection.close()
    return figures


def code_revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "unknown revision"
    if head.returncode:
        return "unknown revision (not a git checkout)"
    return head.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_cases(cases: list[dict]) -> None:
    print(
        f"\n{'case':58}{'status':>7}{'runs':>5}{'queries':>8}{'KB':>8}{'median':>9}{'p95':>9}{'SQL':>9}"
        f"{'floor':>9}{'ratio':>7}{'edited':>9}{'p95':>9}{'again':>9}"
    )
    print(
        f"{'':58}{'':>7}{'':>5}{'':>8}{'':>8}{'ms':>9}{'ms':>9}{'ms':>9}{'ms':>9}{'×':>7}{'ms':>9}{'ms':>9}{'ms':>9}"
    )
    for case in cases:
        name = case["name"] if len(case["name"]) <= 56 else case["name"][:55] + "…"
        if "median" not in case:
            print(f"{name:58}skipped: {case['path']} {case.get('skipped') or case.get('error')}")
            continue
        ratio = case["median"] / case["floor"] if case.get("floor") else None
        print(
            f"{name:58}{'/'.join(map(str, case['statuses'])):>7}{case['runs']:>5}{case['queries']:>8}"
            f"{case['bytes'] / 1024:>8.1f}{ms(case['median']):>9}{ms(case['p95']):>9}{ms(case['sql']):>9}"
            f"{ms(case.get('floor')):>9}{'' if ratio is None else f'{ratio:.1f}':>7}{ms(case.get('edit_median')):>9}"
            f"{ms(case.get('edit_p95')):>9}{ms(case.get('cached_median')):>9}"
        )


def goals(
    cases: list[dict], throughput_figures: dict | None, exports: dict | None = None
) -> list[tuple[str, str, str]]:
    """(goal, PASS/FAIL/not measured, the worst case) for each goal of the issue."""
    measured = [case for case in cases if "median" in case and case["statuses"] == [200]]
    reference = next((case for case in measured if case["group"] == "reference"), None)

    def beside_reference(seconds: float, floor: float, key: str) -> str:
        """What the page with no query of its own takes, over the same floor: the least ratio any page could have
        (said where it matters, when that page alone takes as long as the floor)."""
        if reference is None or key not in reference or reference[key] < floor:
            return ""
        least = reference[key]
        return f" (the page with no query of its own: {ms(least)} ms, {least / floor:.1f}× that floor)"

    # The overviews ("page") are held to the lists' times; the floor ratio is the lists' and the facets' goal.
    timed = [
        case for case in measured if case["group"] in ("list", "facets", "partner", "api", "organisations", "page")
    ]
    rows = []

    def check(goal, candidates, value, limit, shown):
        if not candidates:
            rows.append((goal, "not measured", ""))
            return
        worst = max(candidates, key=value)
        failing = [case for case in candidates if value(case) > limit]
        detail = f"worst: {worst['name']} {shown(worst)}" + (f"; {len(failing)} over" if failing else "")
        rows.append((goal, verdict(not failing), detail))

    # The time goals on each kind of view: the first (nothing of the page kept), the first after an edit, and
    # again (the median of a page's requests as its visitors send them, most finding it in the cache).
    for view, median_key, p95_key in (
        ("first view", "median", "p95"),
        ("after an edit", "edit_median", "edit_p95"),
        ("asked again", "cached_median", "cached_p95"),
    ):
        viewed = [case for case in timed if median_key in case]
        check(
            f"list and facets median < {LIST_MEDIAN_MS} ms, {view}",
            viewed,
            lambda c, key=median_key: c[key] * 1000,
            LIST_MEDIAN_MS,
            lambda c, key=median_key: f"{ms(c[key])} ms",
        )
        check(
            f"list and facets p95 < {LIST_P95_MS} ms, {view}",
            [case for case in viewed if p95_key in case],
            lambda c, key=p95_key: c[key] * 1000,
            LIST_P95_MS,
            lambda c, key=p95_key: f"{ms(c[key])} ms",
        )
        check(
            f"list and facets within {FLOOR_RATIO}× their floor, {view}",
            [case for case in viewed if case.get("floor") and case["group"] != "page"],
            lambda c, key=median_key: c[key] / c["floor"],
            FLOOR_RATIO,
            lambda c, key=median_key: f"{c[key] / c['floor']:.1f}×" + beside_reference(c[key], c["floor"], key),
        )
    check(
        f"detail median < {DETAIL_MEDIAN_MS} ms",
        [case for case in measured if case["group"] == "detail"],
        lambda c: c["median"] * 1000,
        DETAIL_MEDIAN_MS,
        lambda c: f"{ms(c['median'])} ms",
    )
    check(
        f"admin lists and forms median < {ADMIN_MEDIAN_MS} ms",
        [case for case in measured if case["group"] == "admin"],
        lambda c: c["median"] * 1000,
        ADMIN_MEDIAN_MS,
        lambda c: f"{ms(c['median'])} ms",
    )
    public = [case for case in measured if case["group"] != "admin"]  # the bound is on the public pages
    check(f"≤ {MAX_QUERIES} queries", public, lambda c: c["queries"], MAX_QUERIES, lambda c: f"{c['queries']}")
    check(
        f"list HTML < {LIST_HTML_KB} KB",
        [case for case in measured if case["group"] in ("list", "partner", "organisations")],
        lambda c: c["bytes"] / 1024,
        LIST_HTML_KB,
        lambda c: f"{c['bytes'] / 1024:.0f} KB",
    )
    # An export that answers otherwise, or leaves projects out, counts as writing none.
    exported = [
        {
            "name": path,
            "rate": result["rows"] / result["seconds"]
            if result.get("status") == 200 and result["rows"] == result["expected"]
            else 0,
        }
        for path, result in (exports or {}).items()
    ]
    check(
        f"exports ≥ {EXPORT_ROWS_PER_SECOND:,} rows/s",
        exported,
        lambda c: -c["rate"],  # the slowest is the worst
        -EXPORT_ROWS_PER_SECOND,
        lambda c: f"{c['rate']:,.0f} rows/s",
    )
    both = [(throughput_figures or {}).get(name, {}) for name in ("projects", "trivial")]
    if all("rps" in figures for figures in both) and both[1]["rps"]:
        share = both[0]["rps"] / both[1]["rps"]
        rows.append(
            ("/projects/ throughput ≥ ⅓ of the trivial view's", verdict(share >= THROUGHPUT_SHARE), f"{share:.2f}")
        )
    else:
        rows.append(("/projects/ throughput ≥ ⅓ of the trivial view's", "not measured", ""))
    not_ok = [case["name"] for case in cases if "error" in case or ("median" in case and case["statuses"] != [200])]
    if not_ok:
        rows.append(("every case answers 200", "FAIL", ", ".join(not_ok)))
    return rows


def write_explain(path: Path, cases: list[dict], figures: dict, revision: str, repeat: int) -> None:
    lines = [
        "# Query plans of the public pages",
        "",
        f"Written by `benchmarks/scale_benchmark.py --explain` on {dt.date.today().isoformat()}: code at "
        f"{revision}, PostgreSQL {figures['postgresql']}, {figures['published']:,} published projects, "
        f"{figures['organisations']:,} organisations, after VACUUM ANALYZE. For each page, its main query "
        "with `EXPLAIN (ANALYZE, BUFFERS)`: for a list (the list, the API list) its projects' count and "
        "the page of them it shows, as the FilterSet writes them; for the facets, the count of every facet value "
        "over the filtered projects; for another page, the slowest query it sends (by median over the runs). "
        "The page itself reads much of this from the facets' bitmaps instead. The index scans "
        "name the index they read; a `Seq Scan` reads the whole table. Times are of one machine "
        f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} when written); the plans are what matters.",
        "",
        "Written again with `DATABASE_URL=postgres://… python benchmarks/scale_benchmark.py --explain "
        "docs/query-plans.md` (see the script for its other options).",
        "",
        f"| page | median ms (of {repeat}) | main query ms | indexes read | tables read whole |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    planned = [case for case in cases if case.get("plan")]
    for case in planned:
        indexes = sorted(set(re.findall(r"Scan(?: Backward)? using (\S+)", case["plan"])))
        scanned = sorted(set(re.findall(r"Seq Scan on (\S+)", case["plan"])))
        lines.append(
            f"| [{case['name']}](#{slug_of(case['name'])}) | {ms(case['median'])} | {ms(case['floor'])} "
            f"| {', '.join(f'`{name}`' for name in indexes) or '–'} | {', '.join(f'`{t}`' for t in scanned) or '–'} |"
        )
    for case in planned:
        lines += [
            "",
            f"## {case['name']}",
            "",
            f"`GET {case['path']}`: {case['queries']} queries, median {ms(case['median'])} ms; main query "
            f"{ms(case['floor'])} ms alone.",
            "",
            "```sql",
            case["main_sql"],
            "```",
            "",
            "```",
            case["plan"],
            "```",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def slug_of(title: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--projects", type=int, default=100_000, help="projects wanted, drafts included (default 100000)"
    )
    parser.add_argument("--no-generate", action="store_true", help="measure the projects already there")
    parser.add_argument("--seed", type=int, default=1, help="for generate_projects")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--repeat", type=int, default=30, help="requests per case (default 30)")
    parser.add_argument("--explain", type=Path, metavar="FILE", help="write the query plans here (Markdown)")
    parser.add_argument("--skip-load", action="store_true", help="no gunicorn throughput run")
    parser.add_argument("--skip-exports", action="store_true", help="no export run")
    parser.add_argument("--no-vacuum", action="store_true", help="no VACUUM ANALYZE before measuring")
    parser.add_argument(
        "--budget",
        type=float,
        default=60,
        help="seconds of requests per case after which it stops repeating, 3 runs at least (default 60)",
    )
    parser.add_argument("--seconds", type=int, default=10, help="length of each throughput run (default 10)")
    parser.add_argument("--cases", metavar="REGEX", help="only the cases whose name matches")
    parser.add_argument("--common-word", help="the common word searched (default: the most frequent one)")
    parser.add_argument("--rare-word", help="the rare word searched (default: one that finds 1 to 10 projects)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure here")
    parser.add_argument("--child", choices=["requests", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "requests":
        child_requests(args)
        return
    if args.child == "export":
        child_export(args.path)
        return

    url = args.database_url or ""
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "The scale benchmark measures PostgreSQL, as the registry runs in production; SQLite figures would "
            "say nothing about it. Give --database-url postgres://postgres@127.0.0.1:5432/registry_bench "
            "(or set DATABASE_URL)."
        )
    if args.repeat < 1:
        raise SystemExit("--repeat must be 1 or more.")
    # Every process of the run (children, gunicorn) reads these: production-like settings, and an API rate
    # limit no benchmark reaches (the throttle is still consulted on every request).
    os.environ.update(DATABASE_URL=url, DEBUG="0", API_RATE="100000000/minute")
    static = tempfile.mkdtemp(prefix="scale-benchmark-static-")
    os.environ["STATIC_ROOT"] = static
    try:
        run(args)
    finally:
        shutil.rmtree(static, ignore_errors=True)


def run(args) -> None:
    figures = prepare_database(args)
    revision = code_revision()
    print(
        f"PostgreSQL {figures['postgresql']}: {figures['published']:,} published projects ({figures['drafts']:,} "
        f"drafts), {figures['organisations']:,} organisations, {figures['funders']:,} funders, "
        f"{figures['programmes']:,} programmes; code at {revision}; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}"
        + (f"; VACUUM ANALYZE {figures['vacuum_seconds']:.0f} s" if "vacuum_seconds" in figures else "")
    )
    if os.getloadavg()[0] > (os.cpu_count() or 1) / 2:
        print("warning: the machine is busy with other work; the times below will be longer than alone")
    print(f"pages: {args.repeat} requests each after one to warm up (test Client, DEBUG off)…", flush=True)
    child_args = ["--child", "requests", "--repeat", str(args.repeat), "--budget", str(args.budget)]
    for option in ("cases", "common_word", "rare_word", "explain"):
        if getattr(args, option):
            child_args += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    cases = run_child(child_args)["cases"]
    print_cases(cases)
    print(
        "median and p95 (nearest rank): server time of the whole request in-process, first view; SQL: time in "
        "queries; floor: the page's main query alone on a cursor (median; for a list its count and page, for the "
        "facets the count of every value, else its slowest query); ratio: median / floor; edited: first view "
        "after a one-project change to the index (median, p95); again: asked again, index unchanged"
    )

    exports = {}
    if not args.skip_exports:
        print(f"\n{'export':22}{'rows':>10}{'rows/s':>10}{'seconds':>9}{'MB':>8}{'peak RSS MB':>13}{'growth MB':>11}")
        for path in ("/projects/export.csv", "/projects/export.json"):
            result = run_child(["--child", "export", "--path", path])
            exports[path] = result
            if result["status"] != 200:
                print(f"{path:22}skipped: answers {result['status']}")
                continue
            print(
                f"{path:22}{result['rows']:>10,}{result['rows'] / result['seconds']:>10,.0f}{result['seconds']:>9.1f}"
                f"{result['megabytes']:>8.1f}{result['peak_rss_mb']:>13.0f}"
                f"{result['peak_rss_mb'] - result['rss_before_mb']:>11.0f}"
                + ("" if result["rows"] == result["expected"] else f"  (expected {result['expected']:,} rows!)")
            )
        print("each in a fresh process, streamed through the test Client; peak RSS: the process's VmHWM (Linux)")

    load = None
    if not args.skip_load:
        print(
            f"\nthroughput: gunicorn, {WORKERS} workers, {CONNECTIONS} connections, {args.seconds} s each…", flush=True
        )
        load = throughput(args.seconds)
        if "skipped" in load:
            print(f"skipped: {load['skipped']}")
        else:
            print(f"{'':22}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}   ({load['tool']})")
            for name in ("trivial", "projects"):
                result = load[name]
                if "skipped" in result:
                    print(f"{name:22}skipped: {result['skipped']}")
                    continue
                print(
                    f"{result['path']:22}{result['rps']:>12.0f}{ms(result['p50']):>9}{ms(result['p99']):>9}"
                    f"{result['non_2xx']:>9}"
                )
                if result["raw"]:
                    print(result["raw"])

    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print(f"\n{'goal':62}{'':14}")
    for goal, outcome, detail in goals(cases, load, exports):
        print(f"{goal:62}{outcome:14}{detail}")

    if args.explain:
        write_explain(args.explain, cases, figures, revision, args.repeat)
        print(f"\nquery plans written to {args.explain}")
    if args.json:
        payload = {"database": figures, "revision": revision, "cases": cases, "exports": exports, "throughput": load}
        for case in payload["cases"]:
            case.pop("plan", None)
        args.json.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
