"""The registry's write layer: every path that writes projects and the records they name goes here.

The seed loader (projects.seed), sheet imports from the admin or the command (projects.importing)
and the admin's own forms and actions call these functions, so that a rule is written once and
holds everywhere:

- matching.py: which stored record or project a source speaks of (names, CUP, code, title, slug);
- slugs.py: how a new record gets its address;
- records.py: organisations, funders, programmes and territories, one at a time or in bulk;
- merging.py: one organisation stored several times made one (partners_merge);
- projects.py: projects and their links, planned and checked first, then written in bulk, all or nothing;
- locks.py: one sheet import at a time, across processes and machines;
- bulk.py: many rows in few statements (COPY on PostgreSQL), and fresh planner statistics after them;
- synthetic.py: how generated data (manage.py generate_projects) is marked, and its removal.
"""

from .bulk import planner_statistics_refresh
from .index import projects_index, projects_reindex_all, projects_unindex, projects_unindexed, records_reindex
from .locks import ImportBusy, import_lock
from .matching import (
    AmbiguousName,
    ProjectIndex,
    ProjectKeys,
    ProjectMatch,
    ProjectMatchError,
    RecordIndex,
    project_match,
    record_match,
)
from .merging import MergeRefused, MergeResult, partners_merge
from .projects import (
    ParticipationInput,
    ProjectBatch,
    ProjectChange,
    ProjectInput,
    project_upsert,
    projects_delete,
    projects_publish,
    related_sync,
)
from .records import CHANGED, NEW, RECORD_MODELS, UNCHANGED, m2m_sync, record_upsert, records_create
from .slugs import project_slug_text, slugs_allocate
from .synthetic import synthetic_code, synthetic_remove, synthetic_sources

__all__ = [
    "CHANGED",
    "NEW",
    "RECORD_MODELS",
    "UNCHANGED",
    "AmbiguousName",
    "ImportBusy",
    "MergeRefused",
    "MergeResult",
    "ParticipationInput",
    "ProjectBatch",
    "ProjectChange",
    "ProjectIndex",
    "ProjectInput",
    "ProjectKeys",
    "ProjectMatch",
    "ProjectMatchError",
    "RecordIndex",
    "import_lock",
    "m2m_sync",
    "partners_merge",
    "planner_statistics_refresh",
    "project_match",
    "project_slug_text",
    "project_upsert",
    "projects_delete",
    "projects_index",
    "projects_publish",
    "projects_reindex_all",
    "projects_unindex",
    "projects_unindexed",
    "record_match",
    "record_upsert",
    "records_reindex",
    "records_create",
    "related_sync",
    "slugs_allocate",
    "synthetic_code",
    "synthetic_remove",
    "synthetic_sources",
]
