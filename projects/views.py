from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from registry.pagecache import kept_page, page_key
from registry.pagination import paginate
from registry.security import client_address
from registry.sql import among
from registry.widgets import OptionsSelect

from . import exports, periods
from .cards import ProjectCard
from .facets import Facets, facet_counts
from .filters import ProjectFilter
from .forms import CorrectionForm
from .models import Facet, Municipality, Project
from .search import RANKED_AT_MOST, Words, suggestion
from .services.corrections import correction_create, correction_quota_spent, correction_quota_take

# Fewer results than this and the page offers the closest words the registry knows.
FEW_RESULTS = 3
READ_BY_IDS_AT_MOST = RANKED_AT_MOST
# The lists whose options are names (the others follow their vocabulary's order, or the years').
# Filters whose values are names as the sources write them (in Italian on an English page too).
DATA_FILTERS = {"funder", "programme", "partner", "lead_partner", "region", "province", "municipality"}
# Projects whose records an export makes from one set of queries. With the next chunk read while this one's records
# are made (projects.sql.read_ahead), 2,500 gave the most records a second: 13,500, against 12,700 for 5,000 (which
# also took 35 MB more) and 12,800 for 1,000.
EXPORT_CHUNK_SIZE = 2500


def filtered_projects(request) -> ProjectFilter:
    return ProjectFilter(request.GET or None, queryset=Project.objects.published())


def active_filters(project_filter: ProjectFilter, facets: Facets | None, query) -> list[tuple[str, str, str, str]]:
    """(parameter, label, value as shown, query without it) for each filter in use, above the results."""
    if not project_filter.is_bound or not project_filter.form.is_valid():
        return []
    shown = []
    for name, value in project_filter.form.cleaned_data.items():
        if value in (None, "", []) or name == "sort":
            continue
        field = project_filter.form.fields[name]
        text = facets.label(name, value) if facets and name in set(Facet) else None
        if text is None:
            text = dict(field.choices).get(value, value) if hasattr(field, "choices") else value
        without = query.copy()
        without.pop(name, None)
        without.pop("page", None)
        shown.append((name, str(field.label), str(text), without.urlencode()))
    return shown


def kept_parameters(project_filter: ProjectFilter, query, *, leaving_out: str) -> list[tuple[str, str]]:
    """The filters in the query string but one, as (name, value) for the hidden inputs of a form that changes
    only that one (the sort beside the results, the filters without the sort)."""
    return [
        (name, value)
        for name, values in query.lists()
        if name in project_filter.form.fields and name != leaving_out
        for value in values
        if value
    ]


def show_counts(project_filter: ProjectFilter, facets: Facets) -> None:
    """Offer in each list only the choices that give projects, each with how many."""
    for name, options in facets.options.items():
        field = project_filter.form.fields.get(name)
        if field is None or not isinstance(field.widget, OptionsSelect):
            continue
        first = field.widget.choices[0] if field.widget.choices else None
        blank = [first] if first and first[0] == "" else [("", _("All"))]
        field.widget.offer(blank + [(o.value, f"{o.label} ({o.count})") for o in options])


def suggested_search(request, project_filter: ProjectFilter, result_count: int) -> dict | None:
    """When the words find little or nothing: the closest query the registry's words allow ("Forse cercavi")."""
    words = Words.parse(project_filter.form.cleaned_data.get("q") or "")
    if not words or result_count >= FEW_RESULTS:
        return None
    suggested = suggestion(words)
    if suggested is None:
        return None
    query = request.GET.copy()
    query["q"] = str(suggested)
    query.pop("page", None)
    alternative = ProjectFilter(query, queryset=Project.objects.published())
    found = alternative.qs.count() if alternative.is_valid() else 0
    if not found:
        return None  # a word that finds nothing either is no help (and may come from a withdrawn project)
    return {"text": str(suggested), "query": query.urlencode(), "filter": alternative, "count": found}


@require_safe
def project_list(request):
    # The page changes only with the index: asked again, it is read from the cache whole (registry.pagecache).
    return kept_page(page_key(request, "project-list", settings.PROJECTS_PER_PAGE), lambda: list_page(request))


def list_page(request) -> HttpResponse:
    context = list_context(request)
    if isinstance(context, HttpResponse):
        return context
    return render(request, "projects/project_filter.html", context, status=400 if context["invalid"] else 200)


def listed_ids(project_filter: ProjectFilter, facets: Facets | None):
    """The ids of the projects the list shows, in its order (a list, or a query the page's slice reads)."""
    if facets is None:  # filters that cannot be read
        return []
    if facets.count > READ_BY_IDS_AT_MOST:
        return project_filter.in_list_order(facets.count).values_list("pk", flat=True)
    # The facets know which projects the filters give: a few thousand in title order are put in it from the places
    # the bitmaps keep (986 of a lead partner: 0.2 ms, against 1.7 ms of the database sorting them)...
    title_order = project_filter.title_order()
    ids = facets.in_title_order(descending=title_order == "-title") if title_order else None
    if ids is not None:
        return ids
    # ...and in another order read by their ids, faster than the filters' conditions select them (q and three
    # filters at 100,000 projects: 25 ms against 140 ms), given as one array (986 ids bound one by one took 4.4 ms,
    # as one parameter 2.4 ms).
    projects = project_filter.ordered(Project.objects.published().filter(among("pk", facets.ids())))
    return projects.values_list("pk", flat=True)


def list_context(request) -> dict | HttpResponse:
    """The list's context, or the answer to a page that cannot be read."""
    project_filter = filtered_projects(request)
    invalid = project_filter.is_bound and not project_filter.form.is_valid()
    facets = facet_counts(project_filter) if not invalid else None
    page_context, error = paginate(
        request, listed_ids(project_filter, facets), settings.PROJECTS_PER_PAGE, count=facets.count if facets else 0
    )
    if error:
        return error
    suggestion_context = None
    if not invalid and project_filter.is_bound:
        suggestion_context = suggested_search(request, project_filter, page_context["result_count"])
        if suggestion_context and not page_context["result_count"]:
            # Nothing for the words as typed: show what the suggested words find.
            page_context, error = paginate(
                request,
                suggestion_context["filter"].qs.values_list("pk", flat=True),
                settings.PROJECTS_PER_PAGE,
                count=suggestion_context["count"],
            )
            if error:
                return error
            suggestion_context["shown"] = True
    # A page whose filters cannot be read still offers every choice, counted over all projects, to mend them.
    show_counts(project_filter, facets or facet_counts(ProjectFilter(None, queryset=Project.objects.published())))
    return {
        **page_context,
        "invalid": invalid,
        "filter": project_filter,
        "cards": ProjectCard.read(list(page_context["page_obj"].object_list), timezone.localdate()),
        "active_filters": active_filters(project_filter, facets, request.GET),
        "kept_for_sort": kept_parameters(project_filter, request.GET, leaving_out="sort"),
        "sort_chosen": request.GET.get("sort", ""),
        "data_filters": DATA_FILTERS,
        "suggestion": suggestion_context,
        "candidates": {
            name: field.candidates
            for name, field in project_filter.form.fields.items()
            if getattr(field, "candidates", None)
        },
    }


def _export_records_or_error(request, *, as_json: bool, errors: dict[str, list[str]] | None = None):
    """The records of the filtered list, streamed; or a 400 naming every parameter that cannot be read."""
    errors = dict(errors or {})
    project_filter = ProjectFilter(request.GET or None, queryset=Project.objects.published())
    if project_filter.is_bound and not project_filter.form.is_valid():
        errors.update({name: [str(e) for e in errs] for name, errs in project_filter.form.errors.items()})
    if errors:
        if as_json:
            return None, JsonResponse({"errors": errors}, status=400)
        text = "\n".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        return None, HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
    return exports.export_records(project_filter.qs, chunk_size=EXPORT_CHUNK_SIZE), None


@require_safe
def project_export_json(request):
    records, error = _export_records_or_error(request, as_json=True)
    if error:
        return error
    return StreamingHttpResponse(exports.json_chunks(records), content_type="application/json; charset=utf-8")


@require_safe
def project_export_csv(request):
    """The CSV export; `?format=excel` gives the variant Excel opens as it is in an Italian locale."""
    variant = request.GET.get("format", "")
    errors = {}
    if variant not in ("", "excel"):
        errors["format"] = [_("Write format=excel for a CSV that Excel opens in an Italian locale, or leave it out.")]
    records, error = _export_records_or_error(request, as_json=False, errors=errors)
    if error:
        return error
    excel = variant == "excel"
    response = StreamingHttpResponse(exports.csv_lines(records, excel=excel), content_type="text/csv; charset=utf-8")
    filename = "progetti-excel.csv" if excel else "progetti.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def project_detail(request, slug: str):
    project = get_object_or_404(
        Project.objects.published().with_export_data().prefetch_related("related"),
        slug=slug,
    )
    territories = []
    for territory in project.territories.all():
        by_province: dict[str, list[Municipality]] = {}
        municipalities = sorted(territory.municipalities.all(), key=lambda m: m.name)
        for municipality in municipalities:
            by_province.setdefault(municipality.province_code, []).append(municipality)
        territories.append((territory, len(municipalities), sorted(by_province.items())))
    # The regions for the map: one query, however many municipalities the territories hold.
    list_path = reverse("projects:list")
    region_names = (
        Municipality.objects.filter(territories__projects=project)
        .order_by("region_code")
        .values_list("region_code", "region_name")
        .distinct()
    )
    regions = [{"code": code, "name": name, "url": f"{list_path}?region={code}"} for code, name in region_names]
    context = {
        "project": project,
        "territories": territories,
        "regions": regions,
        "related": [p for p in project.related.all() if p.is_published],
        # The period in words, each date marked up with its ISO form; the duration has a line of its own.
        "period_parts": periods.Period(project.start_bound, project.end_bound).parts(get_language()),
    }
    return render(request, "projects/project_detail.html", context)


CORRECTION_FORM = "projects/correction_form.html"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def project_correction(request, slug: str):
    """A visitor suggests a correction to a published project; the editors review it in the admin.

    Never cached, by the site or by a browser: the page holds the visitor's own CSRF token. A bound form with
    the hidden field filled in is refused like any other bad input (400), with the hidden field emptied: a
    person whose browser filled it sends again with one click and loses nothing, where an answer that faked
    success would tell them a suggestion was received that never was. Both it and a saved suggestion count
    towards the address's limit, so that a program retrying is stopped as well.
    """
    project = get_object_or_404(Project.objects.published().only("pk", "slug", "title"), slug=slug)
    if request.method != "POST":
        return render(request, CORRECTION_FORM, {"project": project, "form": CorrectionForm()})
    address = client_address(request)
    form = CorrectionForm(request.POST)
    if correction_quota_spent(address=address):
        return correction_refused(request, project, form)
    if not form.is_valid():
        if form.caught:
            correction_quota_take(address=address)
        return render(request, CORRECTION_FORM, {"project": project, "form": form}, status=400)
    if not correction_quota_take(address=address):
        return correction_refused(request, project, form)
    fields = {name: form.cleaned_data[name] for name in CorrectionForm.Meta.fields}
    correction_create(project=project, **fields)
    return redirect("projects:correction-sent", slug=project.slug)


def correction_refused(request, project: Project, form: CorrectionForm) -> HttpResponse:
    """The 429 page: what the visitor typed is shown again, so that nothing is lost while they wait."""
    context = {"project": project, "form": form, "limited": True, "limit": settings.CORRECTION_RATE_LIMIT}
    response = render(request, CORRECTION_FORM, context, status=429)
    response["Retry-After"] = str(int(settings.CORRECTION_RATE_WINDOW.total_seconds()))
    return response


@require_safe
def project_correction_sent(request, slug: str):
    project = get_object_or_404(Project.objects.published().only("pk", "slug", "title"), slug=slug)
    return render(request, "projects/correction_sent.html", {"project": project})
