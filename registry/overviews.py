"""Pages that sum up the registry and the projects of a funder or of a place (region, province, municipality).

Every count comes from the facets (projects.facets): exact, and read from the bitmaps each process keeps
rather than counted. What a page shows changes only with the public index and the day (years and statuses
depend on it), so its data is kept in the cache under the index stamp, the day and the language, and read
whole when the page is asked for again.

A place's address is made of the names of the region, the province and the municipality as slugs
(/places/piemonte/asti/nizza-monferrato/): ISTAT's codes are exact but mean nothing to a reader, and a
name is unique where it is looked for (a region among regions, a province in its region, a municipality
in its province; two that would share a slug both get their ISTAT code added).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from projects.facets import Facets, facet_counts
from projects.filters import ProjectFilter
from projects.models import Facet, FacetCount, Funder, IndexState, Municipality, Programme, Project
from projects.names import sort_key
from projects.search import RANKED_AT_MOST

from .sql import among

FIRST_PROJECTS = 10
LATEST_PROJECTS = 5
MAIN_FUNDERS = 8
# Read by their ids when the facets say they are this few: faster than the filter's condition (projects.views).
READ_BY_IDS_AT_MOST = RANKED_AT_MOST
# Longer than any Italian place's name as a slug: an address that long is no place, and no cache key is made of it.
PLACE_SLUG_AT_MOST = 100


@dataclass(frozen=True)
class Place:
    code: str  # ISTAT's: "01" for a region, "AT" for a province, "005080" for a municipality
    name: str
    slug: str


def place_slug(name: str) -> str:
    """A place's name as it reads in an address; of a bilingual name (Bolzano/Bozen), the first."""
    return slugify(name.split("/")[0]) or slugify(name)


def _places(rows: Iterable[tuple[str, str]]) -> list[Place]:
    """(code, name) pairs as places with slugs unique among them, in Italian alphabetical order."""
    rows = list(rows)
    taken = Counter(place_slug(name) for _, name in rows)
    places = [
        Place(code, name, place_slug(name) if taken[place_slug(name)] == 1 else f"{place_slug(name)}-{code.lower()}")
        for code, name in rows
    ]
    return sorted(places, key=lambda place: (sort_key(place.name), place.code))


def _kept_places(key: str, rows: Callable[[], Iterable[tuple[str, str]]]) -> list[Place]:
    """Places read from ISTAT's list once per index stamp: a new list is followed by a rebuild of the index."""
    key = f"overview:places:{IndexState.current()}:{key}"
    places = cache.get(key)
    if places is None:
        places = _places(rows())
        cache.set(key, places, settings.LIST_CACHE_SECONDS)
    return places


def regions() -> list[Place]:
    return _kept_places(
        "regions", lambda: Municipality.objects.order_by().values_list("region_code", "region_name").distinct()
    )


def provinces(region: Place) -> list[Place]:
    rows = Municipality.objects.filter(region_code=region.code).order_by()
    return _kept_places(
        f"provinces:{region.code}", lambda: rows.values_list("province_code", "province_name").distinct()
    )


def municipalities(province: Place) -> list[Place]:
    rows = Municipality.objects.filter(province_code=province.code)
    return _kept_places(f"municipalities:{province.code}", lambda: rows.values_list("istat_code", "name"))


def _find(places: list[Place], slug: str) -> Place:
    for place in places:
        if place.slug == slug:
            return place
    raise Http404(_("There is no such place."))


# --- what the pages show --------------------------------------------------------------------------


def kept(name: str, *args: str, build: Callable[[], dict]) -> dict:
    """The data `build` makes, kept until the index, the day or the language changes. An Http404 is not kept."""
    parts = (IndexState.current(), timezone.localdate(), get_language(), *args)
    key = f"overview:{name}:" + ":".join(map(str, parts))
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, settings.LIST_CACHE_SECONDS)
    return data


def list_url(**params: str) -> str:
    """The project list filtered by these parameters."""
    return f"{reverse('projects:list')}?{urlencode(params)}" if params else reverse("projects:list")


def counted_facets(params: dict[str, str]) -> tuple[ProjectFilter, Facets]:
    project_filter = ProjectFilter(params or None, queryset=Project.objects.published())
    if project_filter.is_bound and not project_filter.is_valid():
        raise Http404(_("There is no such page."))
    return project_filter, facet_counts(project_filter)


def project_links(projects) -> list[dict]:
    """Title, acronym, address and period of each project, for a list of links."""
    fields = ("slug", "title", "acronym", "period_text", "start", "start_precision", "end", "end_precision")
    return [
        {
            "title": project.title,
            "acronym": project.acronym if project.acronym not in project.title else "",
            "url": project.get_absolute_url(),
            "period": project.public_period_label,
        }
        for project in projects.only(*fields, "duration_months")
    ]


def first_projects(project_filter: ProjectFilter, facets: Facets) -> list[dict]:
    """The first projects of the filtered list, in its order (the folded title, as the list sorts it; its index
    finds the first of a funder's 18,715 projects in milliseconds, where sorting by the raw title took 114 ms)."""
    if facets.count <= READ_BY_IDS_AT_MOST:
        projects = Project.objects.published().filter(among("pk", facets.ids()))
    else:
        projects = project_filter.qs
    return project_links(projects.order_by("title_key", "pk")[:FIRST_PROJECTS])


def region_rows(facets: Facets, url: Callable[[Place], str]) -> list[dict]:
    """Every region with how many of the counted projects work in it, for the map and its list."""
    counts = {option.value: option.count for option in facets.options.get(Facet.REGION, [])}
    return [
        {"code": region.code, "name": region.name, "count": counts.get(region.code, 0), "url": url(region)}
        for region in regions()
    ]


def region_page_url(region: Place) -> str:
    return reverse("places:region", args=[region.slug])


def summary(params: dict[str, str]) -> dict:
    """What every overview shows of the projects these filters give: how many, by theme and by year,
    by region, the first of them and the address of their whole list."""
    project_filter, facets = counted_facets(params)
    return {
        "count": facets.count,
        "themes": [
            {"label": str(option.label), "count": option.count, "url": list_url(**params, theme=option.value)}
            for option in facets.options[Facet.THEME]
        ],
        # Oldest first: a chart of years reads from left to right.
        "years": [
            {"label": option.label, "count": option.count, "url": list_url(**params, year=option.value)}
            for option in reversed(facets.options["year"])
        ],
        "regions": region_rows(facets, region_page_url),
        "projects": first_projects(project_filter, facets),
        "list_url": list_url(**params),
        "facets": facets,
    }


def _without_facets(data: dict) -> dict:
    data.pop("facets", None)  # the bitmaps are the facets' own to keep, not the cache's
    return data


# --- home ----------------------------------------------------------------------------------------


def home_data() -> dict:
    """The home page's figures, entry points and latest projects."""
    project_filter, facets = counted_facets({})
    counted = FacetCount.objects.filter(count__gt=0)
    funders = facets.options[Facet.FUNDER]
    main_funders = sorted(funders, key=lambda option: (-option.count, sort_key(str(option.label))))
    totals = {
        "projects": facets.count,
        "organisations": counted.filter(facet=Facet.PARTNER).count(),
        "municipalities": counted.filter(facet=Facet.MUNICIPALITY).count(),
        "funders": len(funders),
    }
    return {
        "totals": totals,
        "totals_text": {name: number_format(value, force_grouping=True) for name, value in totals.items()},
        "regions": region_rows(facets, region_page_url),
        "latest": project_links(Project.objects.published().order_by("-pk")[:LATEST_PROJECTS]),
        "themes": [
            {"label": str(option.label), "count": option.count, "url": list_url(theme=option.value)}
            for option in facets.options[Facet.THEME]
        ],
        "funders": [
            {"label": option.label, "count": option.count, "url": reverse("funders:detail", args=[option.value])}
            for option in main_funders[:MAIN_FUNDERS]
        ],
        "more_funders": len(funders) > MAIN_FUNDERS,
    }


# --- funders -------------------------------------------------------------------------------------


@require_safe
def funder_list(request):
    def build() -> dict:
        _filter, facets = counted_facets({})
        funders = [
            {"name": option.label, "count": option.count, "url": reverse("funders:detail", args=[option.value])}
            for option in facets.options[Facet.FUNDER]
        ]
        return {"funders": sorted(funders, key=lambda row: sort_key(row["name"]))}

    return render(request, "registry/funder_list.html", kept("funders", build=build))


@require_safe
def funder_detail(request, slug: str):
    def build() -> dict:
        # A funder only drafts name is not shown, as in the API.
        if not FacetCount.objects.filter(facet=Facet.FUNDER, value=slug, count__gt=0).exists():
            raise Http404(_("No funder of published projects has this address."))
        funder = Funder.objects.filter(slug=slug).first()
        if funder is None:
            raise Http404(_("No funder of published projects has this address."))
        data = summary({"funder": slug})
        counts = {option.value: option.count for option in data["facets"].options[Facet.PROGRAMME]}
        # Its programmes and every programme or call below them, with the published projects each has.
        own = Programme.objects.descendant_ids(funder.programmes.values_list("pk", flat=True))
        programmes = [
            {
                "name": name,
                "short_name": short_name,
                "count": counts[programme_slug],
                "url": list_url(programme=programme_slug),
            }
            for programme_slug, name, short_name in Programme.objects.filter(pk__in=own).values_list(
                "slug", "name", "short_name"
            )
            if counts.get(programme_slug)
        ]
        data["regions"] = region_rows(data["facets"], lambda region: list_url(funder=slug, region=region.code))
        return _without_facets(
            {
                **data,
                "funder": {
                    "name": funder.name,
                    "other_names": funder.other_names_list,
                    "website": funder.website,
                },
                "programmes": sorted(programmes, key=lambda row: sort_key(row["name"])),
            }
        )

    return render(request, "registry/funder_detail.html", kept("funder", slug, build=build))


# --- places --------------------------------------------------------------------------------------


@require_safe
def place_index(request):
    def build() -> dict:
        _filter, facets = counted_facets({})
        return {"regions": region_rows(facets, region_page_url), "count": facets.count}

    return render(request, "registry/place_index.html", kept("places", build=build))


def _resolve(slugs: tuple[str, ...]) -> list[Place]:
    """The region, province and municipality these slugs name, as far as they go; Http404 for any unknown."""
    if any(len(slug) > PLACE_SLUG_AT_MOST for slug in slugs):
        raise Http404(_("There is no such place."))
    path = [_find(regions(), slugs[0])]
    if len(slugs) > 1:
        path.append(_find(provinces(path[0]), slugs[1]))
    if len(slugs) > 2:
        path.append(_find(municipalities(path[1]), slugs[2]))
    return path


def _place_urls(path: list[Place]) -> list[str]:
    names = ("places:region", "places:province", "places:municipality")
    return [reverse(names[depth], args=[place.slug for place in path[: depth + 1]]) for depth in range(len(path))]


def _province_rows(path: list[Place], facets: Facets) -> list[dict]:
    """Every province of the region, with its projects."""
    counts = {option.value: option.count for option in facets.options[Facet.PROVINCE]}
    region = path[0]
    return [
        {
            "name": province.name,
            "count": counts.get(province.code, 0),
            "url": reverse("places:province", args=[region.slug, province.slug]),
        }
        for province in provinces(region)
    ]


def _municipality_rows(path: list[Place], facets: Facets) -> list[dict]:
    """The municipalities of the province that have projects, with how many."""
    region, province = path
    towns = municipalities(province)
    # Municipalities are chosen by typing, so the bitmaps do not count them: the index's own counts, one indexed
    # read. A municipality lies in one province, so its count over all projects is its count here.
    counts = dict(
        FacetCount.objects.filter(
            facet=Facet.MUNICIPALITY, value__in=[town.code for town in towns], count__gt=0
        ).values_list("value", "count")
    )
    return [
        {
            "name": town.name,
            "count": counts[town.code],
            "url": reverse("places:municipality", args=[region.slug, province.slug, town.slug]),
        }
        for town in towns
        if town.code in counts
    ]


PLACE_KINDS = ("region", "province", "municipality")
SUB_PLACES = {"region": _province_rows, "province": _municipality_rows}


def _place_page(request, *slugs: str):
    """A place's page: its projects summed up, its sub-places, the way back up."""
    kind = PLACE_KINDS[len(slugs) - 1]

    def build() -> dict:
        path = _resolve(slugs)
        place = path[-1]
        data = summary({kind: place.code})
        sub_places = SUB_PLACES.get(kind)
        data.update(
            {
                "kind": kind,
                "place": {"name": place.name, "code": place.code},
                "region": {"name": path[0].name},
                # The map marks the region the place is in: a region is the finest shape it draws.
                "marked_regions": [{"code": path[0].code, "name": path[0].name, "url": _place_urls(path[:1])[0]}],
                "breadcrumbs": [
                    {"name": above.name, "url": url}
                    for above, url in zip(path[:-1], _place_urls(path[:-1]), strict=True)
                ],
                "sub_places": sub_places(path, data["facets"]) if sub_places else [],
            }
        )
        return _without_facets(data)

    return render(request, "registry/place_detail.html", kept(kind, *slugs, build=build))


@require_safe
def region_detail(request, region: str):
    return _place_page(request, region)


@require_safe
def province_detail(request, region: str, province: str):
    return _place_page(request, region, province)


@require_safe
def municipality_detail(request, region: str, province: str, municipality: str):
    return _place_page(request, region, province, municipality)
