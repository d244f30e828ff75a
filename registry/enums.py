"""The registry's vocabularies: small fixed lists, stored as codes and shown with Italian labels.

Both apps read their choices here, so that neither imports the other's models to get one, and so
that a filter, an export or an import reads a code's label from one place.
"""

from functools import cache

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    """The part an organisation plays in one project; it lives on the link, not on the organisation."""

    LEAD = "lead", _("Lead partner")
    PARTNER = "partner", _("Partner")
    SUPPORTING = "supporting", _("Supporting body")
    MEMBER = "member", _("Network member")  # of a network or charter: neither partner nor supporter


_ROLE_POSITIONS = {role: position for position, role in enumerate(Role.values)}


def role_position(role: str) -> int:
    """Where a role's organisations stand in a project's list: lead first, then partners, supporting bodies and
    network members (last, so that the positions stored before members existed still hold)."""
    return _ROLE_POSITIONS[role]


class PartnerKind(models.TextChoices):
    PUBLIC_BODY = "public_body", _("Public body")
    THIRD_SECTOR = "third_sector", _("Third-sector organisation")
    COMPANY = "company", _("Company")
    FOUNDATION = "foundation", _("Foundation")
    UNIVERSITY = "university", _("University or research centre")
    EU_INTERNATIONAL = "eu_international", _("EU or international body")
    NETWORK = "network", _("Network or association of organisations")
    OTHER = "other", _("Other")


class InitiativeKind(models.TextChoices):
    """What a record is: most are projects, but the sources also describe networks, services and proposals."""

    PROJECT = "project", _("Project")
    NETWORK = "network", _("Network or charter")
    SERVICE = "service", _("Service or facility")
    PROPOSAL = "proposal", _("Proposal")  # an idea or competition entry, not a project under way
    CALL = "call", _("Call or funding notice")


class TerritoryBasis(models.TextChoices):
    """How a territory's municipalities were drawn from its source."""

    STATED = "stated", _("stated by the source")
    PARTIAL = "partial", _("partly stated: the source names some of them")
    INFERRED = "inferred", _("inferred by the registry (a wider area, or a place the source implies)")


class ProgrammeKind(models.TextChoices):
    PROGRAMME = "programme", _("Funding programme")
    CALL = "call", _("Call for proposals")


class Status(models.TextChoices):
    """Where a project stands today; derived from its period (see projects.status), never stored."""

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


class CorrectionStatus(models.TextChoices):
    """Where a visitor's suggested correction stands; accepting one does not change the project by itself."""

    NEW = "new", pgettext_lazy("correction", "New")
    ACCEPTED = "accepted", pgettext_lazy("correction", "Accepted")
    DISMISSED = "dismissed", pgettext_lazy("correction", "Dismissed")


class ChangeKind(models.TextChoices):
    """How a set of changes came about: the history groups every write under one of these."""

    EDIT = "edit", _("Edited in the admin")
    ACTION = "action", _("Admin action")
    IMPORT = "import", _("Sheet import")
    SEED = "seed", _("Seed data")
    MERGE = "merge", _("Organisations merged")
    RESTORE = "restore", _("Version restored")
    UNDO = "undo", _("Change set undone")
    GENERATED = "generated", _("Generated data")
    OTHER = "other", _("Other change")


def labels_now(vocabulary: type[models.TextChoices]) -> dict[str, str]:
    """Each code of `vocabulary` with its label in the current language, as text: a page that shows hundreds of
    labels (twenty cards' kinds, statuses and themes) reads them from here rather than translating each again."""
    return _labels_in(vocabulary, translation.get_language())


@cache
def _labels_in(vocabulary: type[models.TextChoices], language: str | None) -> dict[str, str]:
    with translation.override(language):
        return {choice.value: str(choice.label) for choice in vocabulary}
