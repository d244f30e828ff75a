"""Funding: who pays (funders) and through what (programmes and the calls within them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from registry.enums import ProgrammeKind
from registry.fields import WebsiteField, validate_sources
from registry.history import RecordedHistory


def reachable(start: Iterable[int], links: Mapping[int, Iterable[int]]) -> set[int]:
    """Every node reachable from `start` by following `links`, at any depth (start included).

    The one walk of the programme tree: down to the calls below a programme, or up to the
    programmes a call belongs to.
    """
    found = set(start)
    frontier = list(found)
    while frontier:
        for neighbour in links.get(frontier.pop(), ()):
            if neighbour not in found:
                found.add(neighbour)
                frontier.append(neighbour)
    return found


class FunderQuerySet(models.QuerySet):
    def with_published_projects(self) -> FunderQuerySet:
        """Funders of at least one published project, directly or through a programme (or a call below it)."""
        direct = self.model.projects.through.objects.filter(project__is_published=True).values("funder_id")
        programmes = Programme.objects.with_published_projects().values("pk")
        through_programmes = Programme.funders.through.objects.filter(programme__in=programmes).values("funder_id")
        # Subqueries rather than joins: an OR over several multi-valued joins plus DISTINCT does not scale.
        return self.filter(Q(pk__in=direct) | Q(pk__in=through_programmes))


class Funder(models.Model):
    """Who pays: the European Commission, a ministry, a region, a foundation."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    other_names = models.TextField(_("other names"), blank=True, help_text=_("One per line."))
    website = WebsiteField(_("website"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True, validators=[validate_sources])

    objects = FunderQuerySet.as_manager()
    history = RecordedHistory()

    class Meta:
        ordering = ["name"]
        verbose_name = _("funder")
        verbose_name_plural = _("funders")

    def __str__(self) -> str:
        return self.name

    @property
    def other_names_list(self) -> list[str]:
        return [line.strip() for line in self.other_names.splitlines() if line.strip()]


def tree_links(edges: Iterable[tuple[int, int | None]], *, upwards: bool) -> dict[int, list[int]]:
    """(programme, parent) pairs as links from each programme to its parent, or to its children."""
    links: dict[int, list[int]] = defaultdict(list)
    for pk, parent_id in edges:
        if parent_id is not None:
            if upwards:
                links[pk].append(parent_id)
            else:
                links[parent_id].append(pk)
    return links


class ProgrammeQuerySet(models.QuerySet):
    def _links(self, *, upwards: bool) -> dict[int, list[int]]:
        # The whole tree in one query: programmes and calls are counted in hundreds, not millions.
        return tree_links(self.model.objects.values_list("pk", "parent_id"), upwards=upwards)

    def descendant_ids(self, programmes: Iterable) -> set[int]:
        """Primary keys of the programmes (instances or keys) and of every programme and call below them."""
        return reachable({getattr(p, "pk", p) for p in programmes}, self._links(upwards=False))

    def ancestor_ids(self, programmes: Iterable) -> set[int]:
        """Primary keys of the programmes (instances or keys) and of every programme they belong to."""
        return reachable({getattr(p, "pk", p) for p in programmes}, self._links(upwards=True))

    def with_published_projects(self) -> ProgrammeQuerySet:
        """Programmes and calls with at least one published project, in them or in a call below them."""
        published = self.model.projects.through.objects.filter(programme_id=OuterRef("pk"), project__is_published=True)
        tree = list(
            self.model.objects.annotate(published=Exists(published)).values_list("pk", "parent_id", "published")
        )
        with_projects = [pk for pk, _, has_projects in tree if has_projects]
        ancestors = reachable(with_projects, tree_links([(pk, parent) for pk, parent, _ in tree], upwards=True))
        return self.filter(pk__in=ancestors)


class Programme(models.Model):
    """A funding programme (FAMI 2021-2027, PR FESR 2021-2027) or a call within one (bando Territori Inclusivi)."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ProgrammeKind.choices, default=ProgrammeKind.PROGRAMME)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
        help_text=_("The wider programme this one belongs to or is co-funded by (FAMI 2014-2020 is part of FAMI)."),
    )
    funders = models.ManyToManyField(Funder, blank=True, related_name="programmes", verbose_name=_("funders"))
    funders_inferred_because = models.TextField(
        _("funders inferred because"),
        blank=True,
        help_text=_("Empty when a source names the funders; otherwise why the registry names them."),
    )
    description = models.TextField(_("description"), blank=True)
    website = WebsiteField(_("website"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True, validators=[validate_sources])

    objects = ProgrammeQuerySet.as_manager()
    history = RecordedHistory()

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme or call")
        verbose_name_plural = _("programmes and calls")

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        if self.pk and self.parent_id and self.pk in Programme.objects.ancestor_ids([self.parent_id]):
            raise ValidationError({"parent": _("A programme cannot be part of itself.")})
