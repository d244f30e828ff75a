"""Projects, the organisations' roles in them, and their themes and target groups."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from registry.enums import InitiativeKind, Reach, Role, Status, TargetGroup, Theme, role_position
from registry.fields import WebsiteField, validate_sources
from registry.history import RecordedHistory

from .. import periods, status
from ..names import title_keys
from .funding import Funder, Programme
from .index import ProjectFacet
from .places import Municipality, Territory

PRECISION_CHOICES = [
    (periods.Precision.YEAR.value, _("year")),
    (periods.Precision.MONTH.value, _("month")),
    (periods.Precision.DAY.value, _("day")),
]

cup_validator = RegexValidator(
    regex=r"^[A-Z][0-9]{2}[A-Z][0-9]{11}$",
    message=_("A CUP has 15 characters: a letter, two digits, a letter and eleven digits (I69E19001100002)."),
)
country_validator = RegexValidator(regex=r"^[A-Z]{2}$", message=_("Use a two-letter ISO 3166 code, such as IT or FR."))


class ProjectQuerySet(models.QuerySet):
    def published(self) -> ProjectQuerySet:
        return self.filter(is_published=True)

    def active_in(self, year: int) -> ProjectQuerySet:
        """Projects whose period overlaps the calendar year (an open end counts as still running)."""
        # A period stated only by its end ("fino a dicembre 2025") counts as running until then.
        started = Q(start__lte=dt.date(year, 12, 31)) | Q(start__isnull=True, end__isnull=False)
        return self.filter(started & (Q(end__isnull=True) | Q(end__gte=dt.date(year, 1, 1))))

    def with_status(self, status_code: str, *, today: dt.date | None = None) -> ProjectQuerySet:
        if status_code not in Status.values:
            return self.none()
        return self.filter(status.status_condition(status_code, today or timezone.localdate()))

    def with_facet(self, facet: str, value: str) -> ProjectQuerySet:
        """Published projects indexed under this facet value (see projects.models.index): one index range,
        a semi-join, never a join that repeats projects."""
        return self.filter(pk__in=ProjectFacet.objects.filter(facet=facet, value=value).values("project_id"))

    def search(self, text: str) -> ProjectQuerySet:
        """Projects containing every word of the text (see projects.search), best matches first on PostgreSQL."""
        from ..search import Words, matching  # noqa: PLC0415 (search reads the index models)

        words = Words.parse(text)
        return self.filter(matching(words)) if words else self

    def with_list_data(self) -> ProjectQuerySet:
        """Everything a list page or an export shows, in a fixed number of queries whatever the page size."""
        return self.prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("partner").order_by("role_order", "order", "pk"),
            ),
            Prefetch("programmes", queryset=Programme.objects.select_related("parent").prefetch_related("funders")),
            "funders",
            "territories",
            "theme_links",
            "target_group_links",
        )

    def with_export_data(self) -> ProjectQuerySet:
        return self.with_list_data().prefetch_related(
            Prefetch(
                "territories__municipalities",
                queryset=Municipality.objects.only("istat_code", "name", "province_code", "province_name").order_by(
                    "istat_code"
                ),
            )
        )


class Project(models.Model):
    title = models.CharField(_("title"), max_length=300)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    # Derived from the title and acronym on every save (projects.names.title_keys): sheets and the
    # seed find a project by its title however it is written, with one indexed lookup.
    title_key = models.CharField(max_length=400, db_index=True, editable=False, default="")
    acronym_title_key = models.CharField(max_length=400, db_index=True, editable=False, default="", blank=True)
    code = models.CharField(
        _("project code"), max_length=40, blank=True, help_text=_("As the funder numbers it: PROG-2832.")
    )
    cup = models.CharField(
        _("CUP"),
        max_length=15,
        blank=True,
        validators=[cup_validator],
        help_text=_("Codice Unico di Progetto, 15 characters."),
    )
    kind = models.CharField(
        _("kind of initiative"),
        max_length=10,
        choices=InitiativeKind.choices,
        default=InitiativeKind.PROJECT,
        help_text=_("What the source describes: a project, a network or charter, a service, a proposal, a call."),
    )
    application_year = models.PositiveSmallIntegerField(_("year of application"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    general_objective = models.TextField(_("general objective"), blank=True)
    specific_objectives = models.TextField(
        _("specific objectives"), blank=True, help_text=_("One per line, in order.")
    )
    activities = models.TextField(_("activities"), blank=True, help_text=_("One per line, in order (Fase 1) …)."))
    beneficiaries = models.TextField(
        _("beneficiaries in the source's words"),
        blank=True,
        help_text=_("Direct and indirect, as the source describes them."),
    )
    people_reached = models.CharField(
        _("people reached"), max_length=200, blank=True, help_text=_("As the source says it: 120-140 utenti per anno.")
    )

    period_text = models.CharField(
        _("period as stated"), max_length=200, blank=True, help_text=_("As the source writes it.")
    )
    start = models.DateField(_("start"), null=True, blank=True)
    start_precision = models.CharField(_("start precision"), max_length=5, choices=PRECISION_CHOICES, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    end_precision = models.CharField(_("end precision"), max_length=5, choices=PRECISION_CHOICES, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("duration in months"), null=True, blank=True)

    countries = models.JSONField(
        _("countries"),
        default=list,
        blank=True,
        help_text=_("ISO 3166 alpha-2 codes of the countries it works in, for projects abroad or EU-wide."),
    )
    website = WebsiteField(_("website"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True, validators=[validate_sources])
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Drafts are never shown to the public.")
    )

    partners = models.ManyToManyField(
        "partners.Partner", through="Participation", related_name="projects", verbose_name=_("organisations")
    )
    funders = models.ManyToManyField(Funder, blank=True, related_name="projects", verbose_name=_("funders"))
    programmes = models.ManyToManyField(
        Programme, blank=True, related_name="projects", verbose_name=_("programmes and calls")
    )
    territories = models.ManyToManyField(Territory, blank=True, related_name="projects", verbose_name=_("territories"))
    related = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("related projects"))

    objects = ProjectQuerySet.as_manager()
    history = RecordedHistory()

    class Meta:
        # Alphabetical as Italian readers expect (case and accents ignored: "Forlì" before "Forlimpopoli"),
        # the same on both databases: the folded title is a plain column in byte order.
        ordering = ["title_key", "pk"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        permissions = [
            ("import_project", _("Can import project sheets")),
            ("export_project", _("Can export projects")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cup"],
                condition=~Q(cup=""),
                name="project_cup_unique_when_present",
                violation_error_message=_("Another project has this CUP."),
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="project_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True, start_precision="") | Q(start__isnull=False) & ~Q(start_precision=""),
                name="project_start_has_precision",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True, end_precision="") | Q(end__isnull=False) & ~Q(end_precision=""),
                name="project_end_has_precision",
            ),
        ]
        indexes = [
            models.Index(fields=["start", "end"]),
            # Lists in title order (the public list and the admin's) read a page off this index whatever
            # the number of projects; the public list's periods are an index-only scan of the next one.
            models.Index(fields=["title_key", "id"], name="project_title_key"),
            models.Index(fields=["start", "end"], condition=Q(is_published=True), name="project_published_period"),
            # The drafts, a few among many: what "in a published project" leaves out is read from here, where
            # joining every published project took four times as long (partners.models.in_published_projects).
            models.Index(fields=["id"], condition=Q(is_published=False), name="project_drafts"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.refresh_title_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"title", "acronym"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "title_key", "acronym_title_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.slug])

    def refresh_title_keys(self) -> list[str]:
        """Set the keys the project is matched on from its title and acronym; the names of those that changed."""
        keys = dict(zip(("title_key", "acronym_title_key"), title_keys(self.title, self.acronym), strict=True))
        changed = [name for name, value in keys.items() if getattr(self, name) != value]
        for name in changed:
            setattr(self, name, keys[name])
        return changed

    # Period ------------------------------------------------------------------------------------

    @property
    def start_bound(self) -> periods.Bound | None:
        return periods.stored_bound(self.start, self.start_precision)

    @property
    def end_bound(self) -> periods.Bound | None:
        return periods.stored_bound(self.end, self.end_precision)

    @property
    def start_iso(self) -> str:
        return self.start_bound.iso() if self.start else ""

    @property
    def end_iso(self) -> str:
        return self.end_bound.iso() if self.end else ""

    @property
    def period_label(self) -> str:
        """The period as the source states it, or read back from the stored dates at their precision."""
        if self.period_text:
            return self.period_text
        return periods.Period(self.start_bound, self.end_bound, self.duration_months).label()

    @property
    def public_period_label(self) -> str:
        """The period as the public pages write it: in the page's language and the registry's one style
        ("maggio 2024 – dicembre 2025"), or the source's own words when no date or duration could be read in them."""
        return periods.Period(self.start_bound, self.end_bound, self.duration_months).label(get_language()) or (
            self.period_text
        )

    def status_on(self, today: dt.date) -> Status:
        return status.status_on(self.start, self.end, today)

    @property
    def status(self) -> str:
        return self.status_on(timezone.localdate())

    def get_status_display(self) -> str:
        return Status(self.status).label

    # Lists kept as lines -----------------------------------------------------------------------

    @property
    def specific_objectives_list(self) -> list[str]:
        return [line.strip() for line in self.specific_objectives.splitlines() if line.strip()]

    @property
    def activities_list(self) -> list[str]:
        return [line.strip() for line in self.activities.splitlines() if line.strip()]

    # Links, read from prefetched data when there is some ----------------------------------------

    def participations_in_order(self) -> list[Participation]:
        return list(self.participations.all())

    @property
    def lead_participation(self) -> Participation | None:
        return next((p for p in self.participations.all() if p.role == Role.LEAD), None)

    @property
    def lead_partner(self):
        lead = self.lead_participation
        return lead.partner if lead else None

    def participations_by_role(self) -> list[tuple[str, list[Participation]]]:
        grouped = {role: [] for role in Role}
        for participation in self.participations.all():
            grouped[Role(participation.role)].append(participation)
        return [(role.label, links) for role, links in grouped.items() if links]

    @property
    def theme_codes(self) -> list[str]:
        return sorted((link.theme for link in self.theme_links.all()), key=list(Theme.values).index)

    @property
    def theme_labels(self) -> list[str]:
        return [Theme(code).label for code in self.theme_codes]

    @property
    def target_group_codes(self) -> list[str]:
        codes = {link.target_group for link in self.target_group_links.all()}
        return [code for code in TargetGroup.values if code in codes]

    def target_groups_by_reach(self) -> list[tuple[str, list[str]]]:
        grouped = {reach: [] for reach in Reach}
        for link in sorted(
            self.target_group_links.all(), key=lambda link: TargetGroup.values.index(link.target_group)
        ):
            grouped[Reach(link.reach)].append(TargetGroup(link.target_group).label)
        return [(reach.label, labels) for reach, labels in grouped.items() if labels]

    def all_funders(self) -> list[Funder]:
        """Funders named for the project, then those running its programmes, without repeats."""
        seen: dict[int, Funder] = {funder.pk: funder for funder in self.funders.all()}
        for programme in self.programmes.all():
            for funder in programme.funders.all():
                seen.setdefault(funder.pk, funder)
        return list(seen.values())

    def clean_fields(self, exclude=None) -> None:
        # Normalised before the field validators run, so that «i69e19001100002» is accepted as I69E19001100002.
        self.cup = (self.cup or "").replace(" ", "").upper()
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        errors = {}
        if not isinstance(self.countries, list) or not all(isinstance(code, str) for code in self.countries):
            raise ValidationError({"countries": _('Write the countries as a list of codes, such as ["IT", "FR"].')})
        self.countries = [code.strip().upper() for code in self.countries if code.strip()]
        # A date typed in the admin stands for the first (start) or last (end) day of its precision.
        if self.start and self.start_precision:
            self.start = periods.snap(self.start, periods.Precision(self.start_precision), as_end=False)
        if self.end and self.end_precision:
            self.end = periods.snap(self.end, periods.Precision(self.end_precision), as_end=True)
        for code in self.countries:
            try:
                country_validator(code)
            except ValidationError as error:
                errors["countries"] = error
        if self.start and not self.start_precision:
            errors["start_precision"] = _("Say how much of the start date the source gives.")
        if self.end and not self.end_precision:
            errors["end_precision"] = _("Say how much of the end date the source gives.")
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("The end comes before the start.")
        if errors:
            raise ValidationError(errors)


class Participation(models.Model):
    """An organisation's role in one project, in the order the source lists it."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="participations", verbose_name=_("project")
    )
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="participations", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.PARTNER)
    # Lead first, then partners, then supporting bodies, whatever order the rows were typed in.
    role_order = models.PositiveSmallIntegerField(editable=False, default=1)
    order = models.PositiveSmallIntegerField(_("order"), default=0, help_text=_("Position in the source's list."))
    description = models.TextField(
        _("what it does in the project"), blank=True, help_text=_("The source's words about its part in this project.")
    )
    unit = models.CharField(
        _("unit"),
        max_length=255,
        blank=True,
        help_text=_("The office or department the source names (Assessorato alla Casa e Inclusione Sociale)."),
    )
    inferred_because = models.TextField(
        _("inferred because"),
        blank=True,
        help_text=_("Empty when a source states this role; otherwise why the registry reads it so (a hashtag…)."),
    )

    class Meta:
        ordering = ["role_order", "order", "pk"]
        verbose_name = _("role in the project")
        verbose_name_plural = _("organisations and roles")
        constraints = [
            models.UniqueConstraint(fields=["project", "partner", "role"], name="participation_unique_role"),
            models.UniqueConstraint(fields=["project"], condition=Q(role="lead"), name="participation_one_lead"),
        ]
        # The organisations with a role in a published project (the public list's and the API's role filter):
        # read from this index alone, then joined to the published projects. 132 → 72 ms for the supporting
        # role at 100,000 projects, where every participation was hashed.
        indexes = [
            models.Index(fields=["role", "partner", "project"], name="participation_role_partner"),
            # An organisation's page lists its roles lead first (role_order), each in title order: read from here in
            # that first order, only the first role's projects are joined and sorted by title, where the index on
            # the organisation alone read all its participations from the table and sorted them (the first page
            # of an organisation in 5,985 projects at 100,000: 12.4 → 3.7 ms).
            models.Index(fields=["partner", "role_order", "project"], name="participation_partner_roles"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} – {self.get_role_display()}"

    def save(self, *args, **kwargs):
        self.role_order = role_position(self.role)
        super().save(*args, **kwargs)


class ProjectTheme(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="theme_links")
    theme = models.CharField(_("theme"), max_length=24, choices=Theme.choices)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        constraints = [models.UniqueConstraint(fields=["project", "theme"], name="project_theme_unique")]

    def __str__(self) -> str:
        return self.get_theme_display()


class ProjectTargetGroup(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="target_group_links")
    target_group = models.CharField(_("target group"), max_length=32, choices=TargetGroup.choices)
    reach = models.CharField(_("reach"), max_length=8, choices=Reach.choices, default=Reach.DIRECT)

    class Meta:
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")
        constraints = [models.UniqueConstraint(fields=["project", "target_group"], name="project_target_group_unique")]

    def __str__(self) -> str:
        return self.get_target_group_display()
