from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from registry.pagination import paginate

from . import exports
from .filters import ProjectFilter
from .models import Municipality, Project

EXPORT_CHUNK_SIZE = 500


def filtered_projects(request) -> ProjectFilter:
    return ProjectFilter(request.GET or None, queryset=Project.objects.published().with_list_data())


def active_filters(project_filter: ProjectFilter) -> list[tuple[str, str, str]]:
    """(parameter, label, value as shown) for each filter in use, for the summary above the results."""
    if not project_filter.is_bound or not project_filter.form.is_valid():
        return []
    shown = []
    for name, value in project_filter.form.cleaned_data.items():
        if value in (None, "", []) or name == "sort":
            continue
        field = project_filter.form.fields[name]
        if name == "municipality":
            municipality = Municipality.objects.filter(istat_code=value).first()
            text = str(municipality) if municipality else value
        elif hasattr(field, "choices") and not hasattr(value, "pk"):
            text = dict(field.choices).get(value, value)
        else:
            text = str(value)
        shown.append((name, str(field.label), text))
    return shown


@require_safe
def project_list(request):
    project_filter = filtered_projects(request)
    invalid = project_filter.is_bound and not project_filter.form.is_valid()
    projects = project_filter.qs if not invalid else Project.objects.none()
    page_context, error = paginate(request, projects, settings.PROJECTS_PER_PAGE)
    if error:
        return error
    context = {
        **page_context,
        "filter": project_filter,
        "projects": page_context["page_obj"].object_list,
        "active_filters": active_filters(project_filter),
        "municipality_options": Municipality.objects.filter(territories__projects__is_published=True)
        .distinct()
        .order_by("name")
        .values_list("istat_code", "name", "province_code"),
    }
    return render(request, "projects/project_filter.html", context, status=400 if invalid else 200)


def _export_queryset_or_error(request, *, as_json: bool):
    project_filter = ProjectFilter(request.GET or None, queryset=Project.objects.published().with_export_data())
    if project_filter.is_bound and not project_filter.form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in project_filter.form.errors.items()}
        if as_json:
            return None, JsonResponse({"errors": errors}, status=400)
        text = "\n".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        return None, HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
    return project_filter.qs.iterator(chunk_size=EXPORT_CHUNK_SIZE), None


@require_safe
def project_export_json(request):
    projects, error = _export_queryset_or_error(request, as_json=True)
    if error:
        return error
    return StreamingHttpResponse(exports.json_chunks(projects), content_type="application/json; charset=utf-8")


@require_safe
def project_export_csv(request):
    projects, error = _export_queryset_or_error(request, as_json=False)
    if error:
        return error
    response = StreamingHttpResponse(exports.csv_lines(projects), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="progetti.csv"'
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
        for municipality in sorted(territory.municipalities.all(), key=lambda m: m.name):
            by_province.setdefault(municipality.province_code, []).append(municipality)
        territories.append((territory, sorted(by_province.items())))
    context = {
        "project": project,
        "territories": territories,
        "related": [p for p in project.related.all() if p.is_published],
    }
    return render(request, "projects/project_detail.html", context)
