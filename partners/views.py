from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from registry.enums import Role
from registry.pagination import paginate

from .filters import PartnerFilter, with_project_counts
from .models import Partner


@require_safe
def partner_list(request):
    partner_filter = PartnerFilter(request.GET or None, queryset=with_project_counts(Partner.objects.all()))
    invalid = partner_filter.is_bound and not partner_filter.form.is_valid()
    partners = (
        partner_filter.qs.filter(project_count__gt=0).order_by("name") if not invalid else Partner.objects.none()
    )
    page_context, error = paginate(request, partners, settings.PROJECTS_PER_PAGE * 2)
    if error:
        return error
    context = {**page_context, "filter": partner_filter, "partners": page_context["page_obj"].object_list}
    return render(request, "partners/partner_filter.html", context, status=400 if invalid else 200)


@require_safe
def partner_detail(request, slug: str):
    # An organisation named only by drafts is not public yet.
    partner = get_object_or_404(Partner.objects.in_published_projects(), slug=slug)
    # Through the reverse relation, so that partners never imports the projects app.
    links = (
        partner.participations.filter(project__is_published=True)
        .select_related("project")
        .prefetch_related("project__participations__partner")
        .order_by("role_order", "project__title")
    )
    by_role = {role: [] for role in Role}
    for link in links:
        by_role[Role(link.role)].append(link)
    context = {
        "partner": partner,
        "projects_by_role": [(role.label, items) for role, items in by_role.items() if items],
        "project_count": len({link.project_id for link in links}),
    }
    return render(request, "partners/partner_detail.html", context)
