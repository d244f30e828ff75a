import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.fields import WebsiteField
from partners.models import Role
from partners.validators import validate_sources

from . import periods
from .places import fold_name


class Precision(models.TextChoices):
    YEAR = periods.Precision.YEAR.value, _("year")
    MONTH = periods.Precision.MONTH.value, _("month")
    DAY = periods.Precision.DAY.value, _("day")


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
    UNKNOWN = "unknown", _("Period not stated")


class Theme(models.TextChoices):
    HOUSING = "housing", _("Housing")
    WORK_TRAINING = "work_training", _("Work and training")
    HEALTH = "health", _("Health and psychological well-being")
    MEDIATION = "mediation", _("Mediation")
    SCHOOLING_FAMILIES = "schooling_families", _("Schooling and families")
    NETWORKS_GOVERNANCE = "networks_governance", _("Networks and governance")
    AWARENESS = "awareness", _("Awareness and participation")


class TargetGroup(models.TextChoices):
    """Who a project is for, in the legal and reception-system terms the sector works with."""

    ASYLUM_SEEKERS = "asylum_seekers", _("Asylum seekers")
    INTERNATIONAL_PROTECTION = "international_protection", _("Holders of international protection")
    HUMANITARIAN_PROTECTION = "humanitarian_protection", _("Holders of humanitarian or special protection")
    REFUGEES = "refugees", _("Refugees")
    UNACCOMPANIED_MINORS = "unaccompanied_minors", _("Unaccompanied foreign minors")
    THIRD_COUNTRY_NATIONALS = "third_country_nationals", _("Third-country nationals")
    MIGRANT_BACKGROUND = "migrant_background", _("People with a migrant background")
    FAMILIES_WITH_MINORS = "families_with_minors", _("Families with minors")
    YOUNG_PEOPLE = "young_people", _("Young migrants")
    NEET = "neet", _("NEET (not in education, employment or training)")
    CAS_GUESTS = "cas_guests", _("People in extraordinary reception centres (CAS)")
    SAI_GUESTS = "sai_guests", _("People in the reception and integration system (SAI)")
    LEAVING_RECEPTION = "leaving_reception", _("People leaving the reception system")
    HOUSING_HARDSHIP = "housing_hardship", _("People in housing hardship or severe deprivation")
    PRACTITIONERS = "practitioners", _("Practitioners and public officials")
    LOCAL_COMMUNITY = "local_community", _("Local community and citizens")


class Reach(models.TextChoices):
    DIRECT = "direct", _("Direct beneficiaries")
    INDIRECT = "indirect", _("Indirect beneficiaries")


cup_validator = RegexValidator(
    regex=r"^[A-Z][0-9]{2}[A-Z][0-9]{11}$",
    message=_("A CUP has 15 characters: a letter, two digits, a letter and eleven digits (I69E19001100002)."),
)
country_validator = RegexValidator(regex=r"^[A-Z]{2}$", message=_("Use a two-letter ISO 3166 code, such as IT or FR."))


# --- Places -------------------------------------------------------------------------------------


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
    municipalities = models.ManyToManyField(
        Municipality, blank=True, related_name="territories", verbose_name=_("municipalities")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")

    def __str__(self) -> str:
        return self.name


# --- Funding ------------------------------------------------------------------------------------


class FunderQuerySet(models.QuerySet):
    def with_published_projects(self) -> "FunderQuerySet":
        """Funders of at least one published project, directly or through a programme (or a call below it)."""
        return self.filter(
            Q(projects__is_published=True)
            | Q(programmes__projects__is_published=True)
            | Q(programmes__children__projects__is_published=True)
            | Q(programmes__children__children__projects__is_published=True)
        ).distinct()


class Funder(models.Model):
    """Who pays: the European Commission, a ministry, a region, a foundation."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    other_names = models.TextField(_("other names"), blank=True, help_text=_("One per line."))
    website = WebsiteField(_("website"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True, validators=[validate_sources])

    objects = FunderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("funder")
        verbose_name_plural = _("funders")

    def __str__(self) -> str:
        return self.name


class ProgrammeKind(models.TextChoices):
    PROGRAMME = "programme", _("Funding programme")
    CALL = "call", _("Call for proposals")


class ProgrammeQuerySet(models.QuerySet):
    def with_published_projects(self) -> "ProgrammeQuerySet":
        """Programmes and calls with at least one published project, in them or in a call below them."""
        return self.filter(
            Q(projects__is_published=True)
            | Q(children__projects__is_published=True)
            | Q(children__children__projects__is_published=True)
        ).distinct()


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
    description = models.TextField(_("description"), blank=True)
    website = WebsiteField(_("website"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True, validators=[validate_sources])

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme or call")
        verbose_name_plural = _("programmes and calls")

    def __str__(self) -> str:
        return self.short_name or self.name

    @classmethod
    def with_descendants(cls, programmes) -> set[int]:
        """Primary keys of the programmes and of every programme and call below them, at any depth."""
        found = {programme.pk for programme in programmes}
        frontier = set(found)
        while frontier:
            frontier = set(cls.objects.filter(parent__in=frontier).values_list("pk", flat=True)) - found
            found |= frontier
        return found

    def clean(self) -> None:
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A programme cannot be part of itself.")})
            ancestor = ancestor.parent


# --- Projects -----------------------------------------------------------------------------------


class ProjectQuerySet(models.QuerySet):
    def published(self) -> "ProjectQuerySet":
        return self.filter(is_published=True)

    def active_in(self, year: int) -> "ProjectQuerySet":
        """Projects whose period overlaps the calendar year (an open end counts as still running)."""
        # A period stated only by its end ("fino a dicembre 2025") counts as running until then.
        started = Q(start__lte=dt.date(year, 12, 31)) | Q(start__isnull=True, end__isnull=False)
        return self.filter(started & (Q(end__isnull=True) | Q(end__gte=dt.date(year, 1, 1))))

    def with_status(self, status: str, *, today: dt.date | None = None) -> "ProjectQuerySet":
        if status not in Status.values:
            return self.none()
        today = today or timezone.localdate()
        # The same rules as status_on(), in SQL.
        dated = Q(start__isnull=False) | Q(end__isnull=False)
        conditions = {
            Status.PLANNED: Q(start__gt=today),
            Status.ACTIVE: dated & ~Q(start__gt=today) & ~Q(end__lt=today),
            Status.CLOSED: Q(end__lt=today),
            Status.UNKNOWN: Q(start__isnull=True, end__isnull=True),
        }
        return self.filter(conditions[status])

    def in_place(
        self, *, region: str | None = None, province: str | None = None, municipality: str | None = None
    ) -> "ProjectQuerySet":
        """Projects one of whose territories contains the region, province or municipality."""
        places = Municipality.objects.all()
        if region:
            places = places.filter(region_code=region)
        if province:
            places = places.filter(province_code=province)
        if municipality:
            places = places.filter(istat_code=municipality)
        return self.filter(territories__municipalities__in=places).distinct()

    def in_country(self, code: str) -> "ProjectQuerySet":
        """Projects that name the country (ISO 3166 alpha-2) among those they work in."""
        # The codes are stored as a JSON list; matching the quoted code works on SQLite and PostgreSQL alike.
        return self.filter(countries__icontains=f'"{code.upper()}"')

    def with_partner(self, partner, *, role: str | None = None) -> "ProjectQuerySet":
        links = Participation.objects.filter(partner=partner)
        if role:
            links = links.filter(role=role)
        return self.filter(pk__in=links.values("project_id"))

    def funded_by(self, funder) -> "ProjectQuerySet":
        """Projects the funder pays for directly or through one of its programmes (and the calls below them)."""
        programmes = Programme.with_descendants(funder.programmes.all())
        through = Project.programmes.through.objects.filter(programme_id__in=programmes).values("project_id")
        return self.filter(Q(funders=funder) | Q(pk__in=through)).distinct()

    def in_programme(self, programme) -> "ProjectQuerySet":
        """Projects in the programme or in any programme or call below it."""
        programmes = Programme.with_descendants([programme])
        return self.filter(pk__in=Project.programmes.through.objects.filter(programme_id__in=programmes).values("project_id"))

    def search(self, text: str) -> "ProjectQuerySet":
        """Projects where every word appears somewhere, or in a territory with a municipality of that name."""
        # A municipality's name is matched whole ("San Paolo Solbrito", "chiusano d asti").
        in_municipality = Q(pk__in=Project.territories.through.objects.filter(
            territory__municipalities__matching_name=fold_name(text)
        ).values("project_id"))
        query = Q()
        for word in text.split():
            query &= (
                Q(title__icontains=word)
                | Q(acronym__icontains=word)
                | Q(code__icontains=word)
                | Q(cup__icontains=word)
                | Q(summary__icontains=word)
                | Q(general_objective__icontains=word)
                | Q(specific_objectives__icontains=word)
                | Q(activities__icontains=word)
                | Q(pk__in=Participation.objects.filter(
                    Q(partner__name__icontains=word) | Q(partner__other_names__icontains=word)
                ).values("project_id"))
                | Q(pk__in=Project.territories.through.objects.filter(
                    Q(territory__name__icontains=word) | Q(territory__municipalities__matching_name=fold_name(word))
                ).values("project_id"))
                | Q(pk__in=Project.funders.through.objects.filter(funder__name__icontains=word).values("project_id"))
                | Q(pk__in=Project.programmes.through.objects.filter(
                    Q(programme__name__icontains=word) | Q(programme__short_name__icontains=word)
                ).values("project_id"))
            )
        return self.filter(in_municipality | query)

    def with_list_data(self) -> "ProjectQuerySet":
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

    def with_export_data(self) -> "ProjectQuerySet":
        return self.with_list_data().prefetch_related(
            Prefetch(
                "territories__municipalities",
                queryset=Municipality.objects.only("istat_code", "name", "province_code", "province_name").order_by("istat_code"),
            )
        )


class Project(models.Model):
    title = models.CharField(_("title"), max_length=300)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    code = models.CharField(_("project code"), max_length=40, blank=True, help_text=_("As the funder numbers it: PROG-2832."))
    cup = models.CharField(
        _("CUP"),
        max_length=15,
        blank=True,
        validators=[cup_validator],
        help_text=_("Codice Unico di Progetto, 15 characters."),
    )
    application_year = models.PositiveSmallIntegerField(_("year of application"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    general_objective = models.TextField(_("general objective"), blank=True)
    specific_objectives = models.TextField(_("specific objectives"), blank=True, help_text=_("One per line, in order."))
    activities = models.TextField(_("activities"), blank=True, help_text=_("One per line, in order (Fase 1) …)."))
    beneficiaries = models.TextField(
        _("beneficiaries in the source's words"), blank=True, help_text=_("Direct and indirect, as the source describes them.")
    )
    people_reached = models.CharField(_("people reached"), max_length=200, blank=True, help_text=_("As the source says it: 120-140 utenti per anno."))

    period_text = models.CharField(_("period as stated"), max_length=200, blank=True, help_text=_("As the source writes it."))
    start = models.DateField(_("start"), null=True, blank=True)
    start_precision = models.CharField(_("start precision"), max_length=5, choices=Precision.choices, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    end_precision = models.CharField(_("end precision"), max_length=5, choices=Precision.choices, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("duration in months"), null=True, blank=True)

    countries = models.JSONField(
        _("countries"), default=list, blank=True, help_text=_("ISO 3166 alpha-2 codes of the countries it works in, for projects abroad or EU-wide.")
    )
    website = WebsiteField(_("website"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True, validators=[validate_sources])
    is_published = models.BooleanField(_("published"), default=False, help_text=_("Drafts are never shown to the public."))

    partners = models.ManyToManyField(
        "partners.Partner", through="Participation", related_name="projects", verbose_name=_("organisations")
    )
    funders = models.ManyToManyField(Funder, blank=True, related_name="projects", verbose_name=_("funders"))
    programmes = models.ManyToManyField(Programme, blank=True, related_name="projects", verbose_name=_("programmes and calls"))
    territories = models.ManyToManyField(Territory, blank=True, related_name="projects", verbose_name=_("territories"))
    related = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("related projects"))

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
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
        indexes = [models.Index(fields=["start", "end"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.slug])

    # Period ------------------------------------------------------------------------------------

    @property
    def start_bound(self) -> periods.Bound | None:
        return periods.Bound(self.start, periods.Precision(self.start_precision)) if self.start else None

    @property
    def end_bound(self) -> periods.Bound | None:
        return periods.Bound(self.end, periods.Precision(self.end_precision)) if self.end else None

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

    def set_period(self, period: periods.Period, *, text: str = "") -> None:
        self.start = period.start.date if period.start else None
        self.start_precision = period.start.precision.value if period.start else ""
        self.end = period.end.date if period.end else None
        self.end_precision = period.end.precision.value if period.end else ""
        if period.duration_months is not None:
            self.duration_months = period.duration_months
        self.period_text = text

    def status_on(self, today: dt.date) -> str:
        if self.start is None and self.end is None:
            return Status.UNKNOWN
        if self.start and self.start > today:
            return Status.PLANNED
        if self.end and self.end < today:
            return Status.CLOSED
        return Status.ACTIVE

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

    def participations_in_order(self) -> list["Participation"]:
        return list(self.participations.all())

    @property
    def lead_participation(self) -> "Participation | None":
        return next((p for p in self.participations.all() if p.role == Role.LEAD), None)

    @property
    def lead_partner(self):
        lead = self.lead_participation
        return lead.partner if lead else None

    def participations_by_role(self) -> list[tuple[str, list["Participation"]]]:
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
        for link in sorted(self.target_group_links.all(), key=lambda l: list(TargetGroup.values).index(l.target_group)):
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
            raise ValidationError({"countries": _("Write the countries as a list of codes, such as [\"IT\", \"FR\"].")})
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

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participations", verbose_name=_("project"))
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

    class Meta:
        ordering = ["role_order", "order", "pk"]
        verbose_name = _("role in the project")
        verbose_name_plural = _("organisations and roles")
        constraints = [
            models.UniqueConstraint(fields=["project", "partner", "role"], name="participation_unique_role"),
            models.UniqueConstraint(fields=["project"], condition=Q(role="lead"), name="participation_one_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} – {self.get_role_display()}"

    def save(self, *args, **kwargs):
        self.role_order = list(Role.values).index(self.role)
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
        constraints = [
            models.UniqueConstraint(fields=["project", "target_group"], name="project_target_group_unique")
        ]

    def __str__(self) -> str:
        return self.get_target_group_display()
