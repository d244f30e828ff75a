"""The projects app's models, by subject: places, funding, projects and their links.

Vocabularies (themes, target groups, roles…) are in registry/enums.py, so nothing imports a model
to get a choice.
"""

from .corrections import CorrectionSuggestion
from .funding import Funder, Programme
from .index import (
    LISTED_FACETS,
    Facet,
    FacetCount,
    IndexChange,
    IndexState,
    ProjectFacet,
    ProjectSearch,
    ProjectWords,
    SearchTerm,
)
from .places import Municipality, Territory
from .project import (
    Participation,
    Project,
    ProjectTargetGroup,
    ProjectTheme,
    country_validator,
    cup_validator,
)

__all__ = [
    "CorrectionSuggestion",
    "LISTED_FACETS",
    "Facet",
    "FacetCount",
    "IndexChange",
    "IndexState",
    "ProjectFacet",
    "ProjectSearch",
    "ProjectWords",
    "SearchTerm",
    "Funder",
    "Municipality",
    "Participation",
    "Programme",
    "Project",
    "ProjectTargetGroup",
    "ProjectTheme",
    "Territory",
    "country_validator",
    "cup_validator",
]
