"""Places: ISTAT's municipalities, and territories as the sources name them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.enums import TerritoryBasis
from registry.history import RecordedHistory

from ..names import fold_name
from ..places import MunicipalityIndex


class MunicipalityQuerySet(models.QuerySet):
    def index(self) -> MunicipalityIndex:
        """Every municipality in memory, for resolving thousands of names with one query."""
        return MunicipalityIndex(self.values_list("istat_code", "name", "province_code"))


class Municipality(models.Model):
    """An Italian comune from ISTAT's official list."""

    istat_code = models.CharField(_("ISTAT code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=120, db_index=True)
    name_other_language = models.CharField(_("name in the other language"), max_length=120, blank=True)
    matching_name = models.CharField(
        max_length=120, db_index=True, editable=False, help_text="Lower case, no accents or apostrophes."
    )
    province_code = models.CharField(_("province"), max_length=2, db_index=True)
    province_name = models.CharField(_("province name"), max_length=120)
    region_code = models.CharField(_("region code"), max_length=2, db_index=True)
    region_name = models.CharField(_("region"), max_length=60)
    cadastral_code = models.CharField(_("cadastral code"), max_length=4, blank=True)

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return f"{self.name} ({self.province_code})"

    def save(self, *args, **kwargs):
        self.matching_name = fold_name(self.name)
        super().save(*args, **kwargs)


class Territory(models.Model):
    """An area named as the source names it, with the official municipalities it covers."""

    name = models.CharField(_("name"), max_length=255, unique=True, help_text=_("As the source writes it."))
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    description = models.TextField(
        _("description in the source"), blank=True, help_text=_("The source's own words about the area.")
    )
    note = models.TextField(
        _("editors' note"),
        blank=True,
        help_text=_("How the list of municipalities was drawn from the source (typos fixed, province taken whole…)."),
    )
    basis = models.CharField(
        _("how the municipalities were drawn"),
        max_length=8,
        choices=TerritoryBasis.choices,
        default=TerritoryBasis.STATED,
        help_text=_(
            "Whether the source lists them, names some of them, or the registry took a wider area (say why "
            "in the note)."
        ),
    )
    municipalities = models.ManyToManyField(
        Municipality, blank=True, related_name="territories", verbose_name=_("municipalities")
    )

    history = RecordedHistory()

    class Meta:
        ordering = ["name"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")

    def __str__(self) -> str:
        return self.name
