"""The records of the open-data API (/api/v1/). They describe the published schema; a project's record
is the export's (projects.exports), so the API, the JSON export and the CSV export never disagree."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partners.models import Partner
from registry.enums import InitiativeKind, PartnerKind, ProgrammeKind, Role, Status, TargetGroup, TerritoryBasis, Theme

from . import exports
from .models import Funder, Municipality, Programme


def source_references(sources: list[dict]) -> list[str]:
    """Each source as the export writes it: its URL, else the document it was read from."""
    return [source.get("url") or source.get("document", "") for source in sources]


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class SourcesField(serializers.Field):
    """A record's sources, as `source_references` gives them."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", _("Where the facts come from: a URL or a document."))
        super().__init__(**kwargs)

    def to_representation(self, value) -> list[str]:
        return source_references(value)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("What went wrong."))


class FieldErrorsSerializer(serializers.Serializer):
    """Each parameter that could not be read, with its messages: {"year": ["Enter a whole number."]}.

    Its schema is written by projects.api.FieldErrorsSchema: a serializer cannot say "any key".
    """


class ProjectPartnerSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("The organisation's name."))
    role = serializers.ChoiceField(choices=Role.choices, help_text=_("Its role in this project."))
    unit = serializers.CharField(
        allow_blank=True,
        help_text=_(
            "The office or department the source names (Assessorato alla Casa e Inclusione Sociale); empty for none."
        ),
    )
    inferred_because = serializers.CharField(
        allow_blank=True,
        help_text=_("Empty when a source states this role; otherwise why the registry reads it so."),
    )


class ProgrammeFunderSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("The funder's name."))
    programme = serializers.CharField(
        help_text=_("The programme that names this funder: the project's, or one above it.")
    )
    because = serializers.CharField(
        allow_blank=True,
        help_text=_("Why the registry names the programme's funders; empty when a source names them."),
    )


class TerritoryDetailSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("As the source writes it."))
    basis = serializers.ChoiceField(
        choices=TerritoryBasis.choices,
        help_text=_(
            "Whether the source lists the municipalities, names some of them, or the registry took a wider area."
        ),
    )
    municipality_count = serializers.IntegerField(help_text=_("How many municipalities the territory covers."))
    note = serializers.CharField(
        allow_blank=True, help_text=_("How the list of municipalities was drawn from the source.")
    )


class ProjectSerializer(serializers.Serializer):
    """A published project, with exactly the keys of the JSON export."""

    slug = serializers.SlugField(help_text=_("The project's identifier, in its address: /api/v1/projects/<slug>/."))
    title = serializers.CharField()
    acronym = serializers.CharField(allow_blank=True, help_text=_("Empty when the source gives none."))
    code = serializers.CharField(allow_blank=True, help_text=_("As the funder numbers it: PROG-2832."))
    cup = serializers.CharField(allow_blank=True, help_text=_("Codice Unico di Progetto, 15 characters."))
    summary = serializers.CharField(allow_blank=True)
    lead_partner = serializers.CharField(allow_blank=True, help_text=_("The lead partner's name; empty for none."))
    partners = ProjectPartnerSerializer(
        many=True, help_text=_("Every organisation, lead first, in the source's order.")
    )
    funders = serializers.ListField(child=serializers.CharField(), help_text=_("Funders named for the project."))
    programmes = serializers.ListField(child=serializers.CharField(), help_text=_("Programmes and calls."))
    start = serializers.CharField(
        allow_blank=True,
        help_text=_("ISO 8601 at the source's precision (2024, 2024-05 or 2024-05-01); empty when not stated."),
    )
    end = serializers.CharField(
        allow_blank=True,
        help_text=_("ISO 8601 at the source's precision (2024, 2024-05 or 2024-05-31); empty when not stated."),
    )
    duration_months = serializers.IntegerField(allow_null=True, help_text=_("As the source states it, or null."))
    status = serializers.ChoiceField(choices=Status.choices, help_text=_("Derived from the period, today."))
    themes = serializers.ListField(child=serializers.ChoiceField(choices=Theme.choices))
    target_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=TargetGroup.choices), help_text=_("Direct beneficiaries.")
    )
    territories = serializers.ListField(child=serializers.CharField(), help_text=_("Areas as the sources name them."))
    municipalities = serializers.ListField(
        child=serializers.RegexField(r"^[0-9]{6}$"), help_text=_("ISTAT codes of the municipalities it works in.")
    )
    countries = serializers.ListField(
        child=serializers.RegexField(r"^[A-Z]{2}$"), help_text=_("ISO 3166 alpha-2 codes, for work abroad.")
    )
    website = serializers.CharField(allow_blank=True)
    sources = serializers.ListField(
        child=serializers.CharField(), help_text=_("Where the facts come from: a URL or a document.")
    )
    kind = serializers.ChoiceField(
        choices=InitiativeKind.choices,
        help_text=_("What the source describes: a project, a network or charter, a service, a proposal, a call."),
    )
    application_year = serializers.IntegerField(
        allow_null=True, help_text=_("The year it applied for funding, or null.")
    )
    general_objective = serializers.CharField(allow_blank=True)
    specific_objectives = serializers.ListField(
        child=serializers.CharField(), help_text=_("One item per objective, in the source's order.")
    )
    activities = serializers.ListField(
        child=serializers.CharField(), help_text=_("One item per activity, in the source's order.")
    )
    beneficiaries = serializers.CharField(
        allow_blank=True, help_text=_("Direct and indirect, as the source describes them.")
    )
    people_reached = serializers.CharField(
        allow_blank=True, help_text=_("As the source says it: 120-140 utenti per anno.")
    )
    target_groups_indirect = serializers.ListField(
        child=serializers.ChoiceField(choices=TargetGroup.choices), help_text=_("Indirect beneficiaries.")
    )
    programme_funders = ProgrammeFunderSerializer(
        many=True,
        help_text=_(
            "Funders the registry attributes to the project through its programmes (the programme's, or those "
            "of a programme above it), besides the funders named for it."
        ),
    )
    territory_details = TerritoryDetailSerializer(
        many=True, help_text=_("Each territory, in the order of territories, with how its municipalities were drawn.")
    )
    related = serializers.ListField(child=serializers.SlugField(), help_text=_("Slugs of related published projects."))

    def to_representation(self, instance):
        # The export's record, word for word: one definition of what a project is, whichever way it is read.
        return exports.project_record(instance)


class PartnerSerializer(serializers.ModelSerializer):
    other_names = serializers.ListField(
        child=serializers.CharField(), source="other_names_list", help_text=_("Acronyms and other names.")
    )
    kind = serializers.ChoiceField(choices=PartnerKind.choices)
    sources = SourcesField()

    class Meta:
        model = Partner
        fields = ["slug", "name", "other_names", "kind", "country", "city", "website", "sources"]
        read_only_fields = fields


class FunderSerializer(serializers.ModelSerializer):
    other_names = serializers.ListField(
        child=serializers.CharField(),
        source="other_names_list",
        read_only=True,
        help_text=_("Other names it goes by."),
    )
    sources = SourcesField()

    class Meta:
        model = Funder
        fields = ["slug", "name", "other_names", "website", "sources"]
        read_only_fields = fields


class ProgrammeSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ProgrammeKind.choices)
    parent = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text=_("The slug of the wider programme it belongs to, or null."),
    )
    funders = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text=_("Slugs of the funders that run it.")
    )
    sources = SourcesField()

    class Meta:
        model = Programme
        fields = ["slug", "name", "short_name", "kind", "parent", "funders", "website", "sources"]
        read_only_fields = fields


class MunicipalitySerializer(serializers.ModelSerializer):
    """Small on purpose: the list page's type-ahead reads it at every keystroke."""

    class Meta:
        model = Municipality
        fields = ["istat_code", "name", "province_code", "region_name"]
        read_only_fields = fields


class FacetOptionSerializer(serializers.Serializer):
    value = serializers.CharField(help_text=_("What the filter's query parameter takes."))
    label = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Projects this choice gives, with the other filters kept."))


class ProjectFacetsSerializer(serializers.Serializer):
    funder = FacetOptionSerializer(many=True)
    programme = FacetOptionSerializer(many=True)
    lead_partner = FacetOptionSerializer(many=True, help_text=_("The 50 with most projects, and the one chosen."))
    region = FacetOptionSerializer(many=True)
    province = FacetOptionSerializer(many=True)
    country = FacetOptionSerializer(many=True)
    theme = FacetOptionSerializer(many=True)
    kind = FacetOptionSerializer(many=True)
    target_group = FacetOptionSerializer(many=True)
    status = FacetOptionSerializer(many=True)
    year = FacetOptionSerializer(many=True)
