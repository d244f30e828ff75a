from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from registry.enums import PartnerKind, Role
from registry.fields import WebsiteField, validate_sources
from registry.history import RecordedHistory

from . import similarity


class PartnerQuerySet(models.QuerySet):
    def leading(self) -> "PartnerQuerySet":
        """Organisations that lead at least one project."""
        links = self.model._meta.get_field("participations").related_model.objects.filter(
            partner=OuterRef("pk"), role=Role.LEAD
        )
        return self.filter(Exists(links))

    def in_published_projects(self, *, role: str | None = None) -> "PartnerQuerySet":
        """Organisations the public may see: those named by at least one published project (in `role`)."""
        if role in (None, Role.LEAD):
            # From the public index's counts (projects.FacetCount, written with the projects in the same
            # transaction), as the API reads them: a semi-join over one row per organisation. Over the
            # organisations of every published project instead, the list's count took 216 ms at 100,000.
            counts = apps.get_model("projects", "FacetCount").objects
            facet = "lead_partner" if role == Role.LEAD else "partner"  # projects.models.Facet's values
            return self.filter(slug__in=counts.filter(facet=facet, count__gt=0).values("value"))
        # The role's links (an index of role, organisation and project) less those of drafts, which are few and
        # indexed apart (projects' "project_drafts"), as a semi-join: joining every published project instead took
        # 76 of the 92 ms the supporting bodies' count took at 100,000 projects, against about 20 ms this way.
        participation = self.model._meta.get_field("participations").related_model
        drafts = participation._meta.get_field("project").related_model.objects.filter(is_published=False)
        links = participation.objects.filter(role=role).exclude(project__in=drafts.values("pk"))
        return self.filter(pk__in=links.values("partner"))

    def search(self, text: str) -> "PartnerQuerySet":
        return self.filter(models.Q(name__icontains=text) | models.Q(other_names__icontains=text))


class Partner(models.Model):
    """One organisation, whatever roles it plays in whichever projects."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    other_names = models.TextField(
        _("other names"),
        blank=True,
        help_text=_("Acronyms and other names the organisation goes by (CIAC, PIAM…), one per line."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices, default=PartnerKind.OTHER)
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166 alpha-2 code (IT, FR…), when the source says it."),
    )
    city = models.CharField(
        _("city or province"),
        max_length=120,
        blank=True,
        help_text=_("Where the source places it: a province code (BS) or a city (Reggio Emilia)."),
    )
    website = WebsiteField(_("website"), blank=True)
    tax_code = models.CharField(_("tax code"), max_length=16, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Kept by save() and by the write layer's bulk creation; trigram-indexed on PostgreSQL (migration 0004).
    name_key = models.CharField(
        _("matching key"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("The name as duplicates are looked for: folded, without its legal form (onlus, s.r.l.…)."),
    )
    sources = models.JSONField(
        _("sources"),
        default=list,
        blank=True,
        validators=[validate_sources],
        help_text=_('Where the facts come from: a list of {"title", "url" or "document", "accessed"}.'),
    )

    objects = PartnerQuerySet.as_manager()
    history = RecordedHistory()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = similarity.name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("partners:detail", args=[self.slug])

    def published_project_ids(self) -> list[int]:
        """The published projects it has a role in, read from the public index (projects.ProjectFacet, one indexed
        range per organisation) rather than by joining every published project to its participations."""
        facets = apps.get_model("projects", "ProjectFacet").objects
        named = facets.filter(facet="partner", value=self.slug)  # projects.models.Facet.PARTNER: any role
        return list(named.values_list("project_id", flat=True))

    @property
    def other_names_list(self) -> list[str]:
        return [line.strip() for line in self.other_names.splitlines() if line.strip()]

    def clean(self) -> None:
        self.country = self.country.upper()
        if self.country and not (len(self.country) == 2 and self.country.isalpha()):
            raise ValidationError({"country": _("Use a two-letter ISO 3166 code, such as IT or FR.")})


class LeadPartnerManager(models.Manager.from_queryset(PartnerQuerySet)):
    def get_queryset(self) -> PartnerQuerySet:
        return super().get_queryset().leading()


class LeadPartner(Partner):
    """The organisations seen in their lead role: the same rows as Partner, never a copy."""

    objects = LeadPartnerManager()

    class Meta:
        proxy = True
        verbose_name = _("lead partner")
        verbose_name_plural = _("lead partners")


class SimilarPair(models.Model):
    """Two organisations whose names or other names are alike (partners.duplicates keeps these as names
    change): the admin's page of probable duplicates reads them instead of comparing every name with
    every other on each visit."""

    first = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation"))
    second = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation"))
    similarity = models.FloatField(_("similarity"))

    class Meta:
        verbose_name = _("organisations with alike names")
        verbose_name_plural = _("organisations with alike names")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="similar_pair_unique"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="similar_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.similarity:.2f})"
