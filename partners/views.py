from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from registry.enums import PartnerKind, Role, role_position
from registry.links import path_by_slug
from registry.pagecache import kept_page, page_key
from registry.pagination import paginate
from registry.sql import among

from . import network
from .filters import PartnerFilter, in_name_order, with_project_counts
from .models import Partner

# What the organisation's page shows of each of its projects: its link, its title and its period.
SHOWN = ("slug", "title", "start", "start_precision", "end", "end_precision", "duration_months", "period_text")


@require_safe
def partner_list(request):
    # Kept whole until the index changes: its names and counts are the index's, and a change to what it shows
    # besides of an organisation (its kind) moves the index's stamp too (projects.signals.SHOWN_FIELDS).
    return kept_page(page_key(request, "partner-list"), lambda: partner_list_page(request))


def partner_list_page(request) -> HttpResponse:
    partner_filter = PartnerFilter(request.GET or None, queryset=Partner.objects.in_published_projects())
    invalid = partner_filter.is_bound and not partner_filter.form.is_valid()
    partners = in_name_order(partner_filter.qs) if not invalid else Partner.objects.none()
    page_context, error = paginate(request, partners.values_list("pk", flat=True), settings.PROJECTS_PER_PAGE * 2)
    if error:
        return error
    # Counted for the page's organisations only: in the page's own query, PostgreSQL counts the projects of
    # every organisation the offset skips too (page 100 took 1.8 s at 100,000 projects).
    ids = list(page_context["page_obj"].object_list)
    counted = with_project_counts(Partner.objects.filter(pk__in=ids)).in_bulk()
    rows = listed([counted[pk] for pk in ids if pk in counted])
    context = {**page_context, "filter": partner_filter, "rows": rows}
    return render(request, "partners/partner_filter.html", context, status=400 if invalid else 200)


def listed(partners: list[Partner]) -> list[dict[str, str]]:
    """What the list shows of each organisation: its address, its name, and its kind and counts in words. Made here
    once for the page: as template tags, the forty rows' counts in words took longer than the page's queries."""
    path = path_by_slug("partners:detail")
    # Each kind's label translated once for the page: get_kind_display() builds a hashable copy of every choice
    # for each call, which for forty rows took 2 ms, more than the rest of what this makes of them (1.3 ms).
    kinds = {value: str(label) for value, label in PartnerKind.choices}
    rows = []
    for partner in partners:
        facts = [
            kinds.get(partner.kind, partner.kind),
            ngettext("%(counter)s project", "%(counter)s projects", partner.project_count)
            % {"counter": partner.project_count},
        ]
        if leads := partner.lead_count:
            facts.append(ngettext("leads %(counter)s", "leads %(counter)s", leads) % {"counter": leads})
        rows.append({"url": path(partner.slug), "name": partner.name, "facts": " · ".join(facts)})
    return rows


@require_safe
def partner_detail(request, slug: str):
    # An organisation named only by drafts is not public yet.
    partner = get_object_or_404(Partner.objects.in_published_projects(), slug=slug)
    # Kept whole until the index changes (its projects, its links, its collaborators' names) or the organisation does:
    # its page reads 35,000 participations for an organisation in 5,985 projects (about 90 ms at 100,000 projects).
    shown = tuple(getattr(partner, field.attname) for field in Partner._meta.concrete_fields)
    return kept_page(page_key(request, "partner-page", shown), lambda: partner_page(request, partner))


def partner_page(request, partner: Partner) -> HttpResponse:
    # Its published projects' ids, read once from the public index for its links, their counts and the collaborators:
    # given as one array, the participations of 5,985 projects are read from the project index, where a join to the
    # published projects read them all (at 100,000 projects the counts took 15 ms that way, the collaborators 48).
    # Through the reverse relation, so that partners never imports the projects app.
    published = partner.published_project_ids()
    links = partner.participations.filter(among("project_id", published))
    # Its links in each role, counted by role position from the index of (organisation, role position, project)
    # alone: 1.2 ms for 5,985 projects, where counting roles read every link's row (9.6 ms). Its projects are the
    # published ones just read (one may hold two roles in a project: the links may be more).
    by_position = dict(links.order_by().values_list("role_order").annotate(links=Count("project_id")))
    counts = {role: by_position.get(role_position(role), 0) for role in Role.values}
    # Some organisations take part in thousands of projects: their list is paged, lead roles first.
    page_context, error = paginate(
        request,
        # In the list's order (the folded title: Italian order, case and accents aside), with only what the page
        # shows of each project: its long texts would be read for every link sorted, not only the page's.
        links.select_related("project")
        .only("role", "role_order", "description", "project_id", "partner_id", *(f"project__{f}" for f in SHOWN))
        .order_by("role_order", "project__title_key", "pk"),
        settings.PROJECTS_PER_PAGE * 2,
        count=sum(counts.values()),  # one row per role in a project: the roles' counts add up to the links
    )
    if error:
        return error
    collaborators = network.collaborators(partner, published=published)
    by_role = {role: [] for role in Role}
    for link in page_context["page_obj"].object_list:
        by_role[Role(link.role)].append(link)
    context = {
        **page_context,
        "partner": partner,
        "projects_by_role": [
            (role.label, counts.get(role.value, 0), items) for role, items in by_role.items() if items
        ],
        "project_count": len(published),
        "collaborators": collaborators,
        "picture": network.picture(partner, collaborators),
    }
    return render(request, "partners/partner_detail.html", context)
