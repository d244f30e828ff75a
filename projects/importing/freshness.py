"""Between an import's preview and its confirmation, an editor may change a project the file also changes: the
confirmation then refuses the rows of those projects, as the admin's change form refuses a stale save."""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..models import Project
from ..services.bulk import chunked
from .report import CellError
from .rows import SheetRow


def history_mark() -> int:
    """The newest version of any project now: a preview read the registry as of this mark."""
    return Project.history.model.objects.aggregate(mark=Max("history_id"))["mark"] or 0


def stale_rows(rows: list[SheetRow], mark: int) -> None:
    """Add an error to each row whose stored project has a version newer than the preview's mark."""
    matched = {row.project.pk: row for row in rows if row.change is not None and row.project.pk is not None}
    history = Project.history.model.objects
    for chunk in chunked(sorted(matched)):
        newer = (
            history.filter(id__in=chunk, history_id__gt=mark)
            .select_related("change_set", "change_set__user")
            .order_by("id", "-history_id")
        )
        seen = set()
        for version in newer:
            if version.id in seen:
                continue
            seen.add(version.id)
            row = matched[version.id]
            author = version.change_set.author if version.change_set is not None else ""
            row.errors.append(
                CellError(
                    row.number,
                    "-",
                    _(
                        "«%(title)s» was changed (%(who)s, %(when)s) after the preview: import the file again to "
                        "see its changes against the new version"
                    )
                    % {
                        "title": row.project.title,
                        "who": author or _("another change"),
                        "when": date_format(timezone.localtime(version.history_date), "SHORT_DATETIME_FORMAT"),
                    },
                )
            )
