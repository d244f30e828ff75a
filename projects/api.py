"""The open-data API (/api/v1/): the published registry, read-only, as JSON, described by an OpenAPI
document (/api/v1/schema/) and a reference page (/api/v1/docs/).

Projects are filtered by the list page's own FilterSet, so a query string means the same thing on
/projects/, /projects/export.json and /api/v1/projects/. Every list reads published data only, and
asks which rows have a published project with a semi-join, never with a join and DISTINCT: on the
public index's counts (FacetCount, a few thousand rows kept by the write layer) for the unfiltered
lists, so that their cost does not grow with the number of projects.
Pagination and the rate limit are in registry/api.py; the routes in registry/urls.py.
"""

from __future__ import annotations

import hashlib

import django_filters
from django.conf import settings
from django.core.cache import cache
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from partners.filters import PartnerFilter
from partners.models import Partner
from registry.enums import InitiativeKind, Status, TargetGroup, Theme

from . import exports
from .facets import current_bitmaps, facet_counts, matching_projects
from .filters import ProjectFilter
from .models import Facet, FacetCount, Funder, Municipality, Programme, Project
from .names import fold_name
from .serializers import (
    ErrorSerializer,
    FieldErrorsSerializer,
    FunderSerializer,
    MunicipalitySerializer,
    PartnerSerializer,
    ProgrammeSerializer,
    ProjectFacetsSerializer,
    ProjectSerializer,
)


class FieldErrorsSchema(OpenApiSerializerExtension):
    """The schema of a 400: any parameter's name, with its list of messages."""

    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": _("Each parameter that could not be read, with its messages."),
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "examples": [{"year": ["Enter a whole number."]}],
        }


TOO_MANY = OpenApiResponse(ErrorSerializer, description=_("Too many requests from this address: wait and try again."))
LIST_ERRORS = {
    400: OpenApiResponse(FieldErrorsSerializer, description=_("A parameter could not be read.")),
    404: OpenApiResponse(ErrorSerializer, description=_("A page past the last one.")),
    429: TOO_MANY,
}
DETAIL_ERRORS = {
    404: OpenApiResponse(ErrorSerializer, description=_("No published record has this key.")),
    429: TOO_MANY,
}


def list_and_detail(serializer, *, list_summary, list_description, detail_summary, parameters=()):
    """The documentation of a list and of its records, with the errors each may answer."""
    return extend_schema_view(
        list=extend_schema(
            summary=list_summary,
            description=list_description,
            parameters=list(parameters),
            responses={200: serializer(many=True), **LIST_ERRORS},
        ),
        retrieve=extend_schema(summary=detail_summary, responses={200: serializer, **DETAIL_ERRORS}),
    )


def slug_parameter(name: str, description) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, pattern=r"^[-a-zA-Z0-9_]+$", description=description)


def readable_anywhere(response):
    # Public, read-only and without credentials: other sites may read it from their visitors' browsers.
    response["Access-Control-Allow-Origin"] = "*"
    return response


class PublicReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """GET only (anything else is a 405); records are found by slug, and one the public may not see is a 404."""

    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    not_found_message = _("There is no published record with this slug.")

    def get_object(self):
        # Not through filter_queryset: the list's parameters mean nothing to one record.
        found = list(self.get_queryset().filter(**{self.lookup_field: self.kwargs[self.lookup_field]})[:1])
        if not found:
            raise NotFound(self.not_found_message)
        self.check_object_permissions(self.request, found[0])
        return found[0]

    def finalize_response(self, request, response, *args, **kwargs):
        return readable_anywhere(super().finalize_response(request, response, *args, **kwargs))


def published_values(facet: Facet):
    """The slugs or ISTAT codes that at least one published project is indexed under (a subquery)."""
    return FacetCount.objects.filter(facet=facet, count__gt=0).values("value")


# Projects ---------------------------------------------------------------------------------------


# The project list's filters, for the schema: the same on the list, the facets and the exports.
PROJECT_FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description=_(
        "Words found in the title, acronym, code, CUP, texts, organisations, funders, programmes or "
        "territories, or the name of a municipality."
    )),
    slug_parameter("funder", _("A funder's slug (/api/v1/funders/): also finds the projects of its programmes.")),
    slug_parameter("programme", _(
        "A programme's slug (/api/v1/programmes/): also finds the projects of its calls and sub-programmes."
    )),
    OpenApiParameter("partner", OpenApiTypes.STR, description=_(
        "An organisation, in any role: its slug (/api/v1/partners/) or its name as written."
    )),
    OpenApiParameter("lead_partner", OpenApiTypes.STR, description=_(
        "The organisation leading the project: its slug or its name as written."
    )),
    OpenApiParameter("region", OpenApiTypes.STR, pattern=r"^[0-9]{2}$", description=_(
        "A region's ISTAT code (01 for Piemonte): projects with a territory in that region."
    )),
    OpenApiParameter("province", OpenApiTypes.STR, pattern=r"^[A-Z]{2}$", description=_(
        "A province's code (AT): projects with a territory in that province."
    )),
    OpenApiParameter("municipality", OpenApiTypes.STR, description=_(
        "A municipality: its ISTAT code (005005 for Asti, as /api/v1/municipalities/ gives it), or its "
        "name (Asti, Asti (AT) when several share it)."
    )),
    OpenApiParameter("country", OpenApiTypes.STR, pattern=r"^[A-Za-z]{2}$", description=_(
        "An ISO 3166 alpha-2 code (FR): projects working in that country."
    )),
    OpenApiParameter("year", OpenApiTypes.INT, description=_("Projects active at some time in that year.")),
    ]  # fmt: skip


@list_and_detail(
    ProjectSerializer,
    list_summary=_("Published projects"),
    list_description=_(
        "The filters of the list page (/projects/), with the same parameters and the same results; every "
        "record has the keys of the JSON export (/projects/export.json). Filters combine: a project must "
        "match them all."
    ),
    detail_summary=_("One published project"),
    parameters=PROJECT_FILTER_PARAMETERS,
)  # fmt: skip
class ProjectViewSet(PublicReadOnlyViewSet):
    serializer_class = ProjectSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProjectFilter
    not_found_message = _("There is no published project with this slug.")

    def get_queryset(self):
        return Project.objects.published()

    def filter_queryset(self, queryset):
        return self.in_order(super().filter_queryset(queryset))

    @staticmethod
    def in_order(queryset):
        # Pages must not overlap: ties in the chosen order are broken by the primary key.
        return queryset.order_by(*(queryset.query.order_by or Project._meta.ordering), "pk")

    def list(self, request, *args, **kwargs):
        # The filters read here rather than by the filter backend (which still describes them in the schema): the
        # count comes from the facets' bitmaps, as the list page's does (COUNT(*) of every published project took
        # 3.6 ms at 100,000, as long as the rest of the page's queries together).
        project_filter = ProjectFilter(request.query_params or None, queryset=self.get_queryset(), request=request)
        if project_filter.is_bound and not project_filter.is_valid():
            raise ValidationError(project_filter.errors)
        today = timezone.localdate()
        bitmaps = current_bitmaps(today)
        count = matching_projects(project_filter, bitmaps).bit_count()
        projects = self.in_order(project_filter.in_list_order(count)).values_list("pk", flat=True)
        ids = self.paginator.paginate_queryset(projects, request, self, count=count)
        # The records of a page change only with the index (and the day, for the status): kept until then, as
        # the list page is. The filters, the count and the page's ids are read for every request.
        parts = (bitmaps.stamp, today, get_language(), ids)
        key = "api-projects:" + hashlib.sha256(repr(parts).encode()).hexdigest()
        records = cache.get(key)
        if records is None:
            records = exports.records_of(ids)
            cache.set(key, records, settings.LIST_CACHE_SECONDS)
        return self.get_paginated_response(records)

    def retrieve(self, request, *args, **kwargs):
        pk = self.get_queryset().filter(slug=self.kwargs[self.lookup_field]).values_list("pk", flat=True).first()
        records = exports.records_of([pk]) if pk is not None else []  # empty too if deleted in between
        if not records:
            raise NotFound(self.not_found_message)
        return Response(records[0])


@extend_schema(
    summary=_("Facet counts of the project list"),
    description=_(
        "For each filter, its options with how many published projects each gives with the other filters "
        "kept (the same parameters as the project list). Options that give nothing are left out, but for "
        "the one chosen. lead_partner lists the 50 with most projects."
    ),
    parameters=[
        *PROJECT_FILTER_PARAMETERS,
        # On the list these three come from the FilterSet; a view that is not a list must name them.
        OpenApiParameter("theme", OpenApiTypes.STR, enum=Theme.values),
        OpenApiParameter("target_group", OpenApiTypes.STR, enum=TargetGroup.values),
        OpenApiParameter("kind", OpenApiTypes.STR, enum=InitiativeKind.values),
        OpenApiParameter("status", OpenApiTypes.STR, enum=Status.values),
    ],
    responses={200: ProjectFacetsSerializer, **LIST_ERRORS},
)
class ProjectFacetsView(GenericAPIView):
    """/api/v1/projects/facets/?<filters>: {"<filter>": [{"value", "label", "count"}, …], …}."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = ProjectFilter
    serializer_class = ProjectFacetsSerializer
    pagination_class = None

    def get_queryset(self):
        return Project.objects.published()

    def finalize_response(self, request, response, *args, **kwargs):
        return readable_anywhere(super().finalize_response(request, response, *args, **kwargs))

    def get(self, request, *args, **kwargs):
        project_filter = ProjectFilter(request.query_params or None, queryset=self.get_queryset(), request=request)
        if project_filter.is_bound and not project_filter.is_valid():
            raise ValidationError(project_filter.errors)
        facets = facet_counts(project_filter, typed=True)
        return Response({name: [option.as_dict() for option in options] for name, options in facets.options.items()})


# Organisations, funders, programmes -------------------------------------------------------------


@list_and_detail(
    PartnerSerializer,
    list_summary=_("Organisations named by published projects"),
    list_description=_(
        "q finds organisations by a part of their name or of another name (an acronym), for a type-ahead; "
        "role keeps those with that role in at least one published project."
    ),
    detail_summary=_("One organisation"),
)
class PartnerViewSet(PublicReadOnlyViewSet):
    serializer_class = PartnerSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PartnerFilter  # the organisations' list's: q (name or other names), kind, role
    not_found_message = _("No published project names an organisation with this slug.")

    def get_queryset(self):
        return Partner.objects.filter(slug__in=published_values(Facet.PARTNER)).order_by("name", "pk")


@list_and_detail(
    FunderSerializer,
    list_summary=_("Funders of published projects"),
    list_description=_("Funders of at least one published project, directly or through one of their programmes."),
    detail_summary=_("One funder"),
)
class FunderViewSet(PublicReadOnlyViewSet):
    serializer_class = FunderSerializer
    not_found_message = _("No published project names a funder with this slug.")

    def get_queryset(self):
        # The index counts a funder for the projects of its programmes and of the calls below them,
        # as Funder.objects.with_published_projects() does.
        return Funder.objects.filter(slug__in=published_values(Facet.FUNDER)).order_by("name", "pk")


@list_and_detail(
    ProgrammeSerializer,
    list_summary=_("Programmes and calls of published projects"),
    list_description=_("Programmes and calls with at least one published project, in them or in a call below them."),
    detail_summary=_("One programme or call"),
)
class ProgrammeViewSet(PublicReadOnlyViewSet):
    serializer_class = ProgrammeSerializer
    not_found_message = _("No published project names a programme with this slug.")

    def get_queryset(self):
        # Counted for its calls' projects too, as Programme.objects.with_published_projects() does.
        return (
            Programme.objects.filter(slug__in=published_values(Facet.PROGRAMME))
            .select_related("parent")
            .prefetch_related("funders")
            .order_by("name", "pk")
        )


# Municipalities ---------------------------------------------------------------------------------


class MunicipalityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("The beginning of the name (case, accents and apostrophes ignored)"),
        method="filter_name",
        max_length=120,
    )
    province = django_filters.CharFilter(
        label=_("A province's code (AT)"),
        method="filter_province",
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("A province code has two letters, such as AT."))],
    )
    region = django_filters.CharFilter(
        label=_("A region's ISTAT code (01)"),
        field_name="region_code",
        validators=[RegexValidator(r"^[0-9]{2}$", _("A region's ISTAT code has two digits, such as 01."))],
    )

    class Meta:
        model = Municipality
        fields: list[str] = []

    def filter_name(self, queryset, name, value):
        # Folded as the stored matching name is: "sant'antonio" finds Sant’Antonio, "cantu" finds Cantù.
        folded = fold_name(value)
        return queryset.filter(matching_name__startswith=folded) if folded else queryset

    def filter_province(self, queryset, name, value):
        return queryset.filter(province_code=value.upper())


@list_and_detail(
    MunicipalitySerializer,
    list_summary=_("Municipalities where published projects work"),
    list_description=_(
        "For a type-ahead: q is the beginning of the name, with case, accents and apostrophes ignored; the "
        "records are small on purpose. The istat_code is the value of the projects' municipality filter."
    ),
    detail_summary=_("One municipality, by its ISTAT code"),
)
class MunicipalityViewSet(PublicReadOnlyViewSet):
    serializer_class = MunicipalitySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MunicipalityFilter
    lookup_field = "istat_code"
    lookup_value_regex = r"[0-9]{6}"
    not_found_message = _("No published project works in a municipality with this ISTAT code.")

    def get_queryset(self):
        return (
            Municipality.objects.filter(istat_code__in=published_values(Facet.MUNICIPALITY))
            .only("istat_code", "name", "province_code", "region_name")
            .order_by("name", "pk")
        )


# Routes: SimpleRouter has no browsable root page. Fixed paths under projects/ (facets/) must be
# listed before router.urls in registry/urls.py, since the detail route takes any slug.
router = SimpleRouter(trailing_slash=True)
router.register("projects", ProjectViewSet, basename="project")
router.register("partners", PartnerViewSet, basename="partner")
router.register("funders", FunderViewSet, basename="funder")
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("municipalities", MunicipalityViewSet, basename="municipality")
