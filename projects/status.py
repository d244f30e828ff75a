"""A project's status, derived from its period by one rule that is read both in Python and in SQL.

The rule is a list read top to bottom: the first line whose conditions all hold gives the status.
`status_on` applies it to a project's dates and `status_condition` turns it into a database
condition, so a page that shows a status and a filter that selects by it cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass

from django.db.models import Case, Q, Value, When

from registry.enums import Status


@dataclass(frozen=True)
class Condition:
    """One test on a stored bound ("start" or "end") against today: not stated, after today, before today."""

    field: str
    test: str  # "unstated", "after" or "before"

    def holds(self, value: dt.date | None, today: dt.date) -> bool:
        if self.test == "unstated":
            return value is None
        return value is not None and _COMPARISONS[self.test](value, today)

    def q(self, today: dt.date) -> Q:
        if self.test == "unstated":
            return Q(**{f"{self.field}__isnull": True})
        return Q(**{f"{self.field}__{_LOOKUPS[self.test]}": today})


_COMPARISONS = {"after": operator.gt, "before": operator.lt}
_LOOKUPS = {"after": "gt", "before": "lt"}

RULE: tuple[tuple[Status, tuple[Condition, ...]], ...] = (
    (Status.UNKNOWN, (Condition("start", "unstated"), Condition("end", "unstated"))),
    (Status.PLANNED, (Condition("start", "after"),)),
    (Status.CLOSED, (Condition("end", "before"),)),
    # Anything else is running: started (or only an end stated) and not yet ended.
    (Status.ACTIVE, ()),
)


def status_on(start: dt.date | None, end: dt.date | None, today: dt.date) -> Status:
    """The status of a period with these first and last days, on the given day."""
    # Read once per exported record: plain loops, not all() over a generator with a dict of the bounds. RULE's
    # conditions are on "start" or "end" only (tests/projects/test_status.py checks it).
    for status, conditions in RULE:
        for condition in conditions:
            if not condition.holds(start if condition.field == "start" else end, today):
                break
        else:
            return status
    raise AssertionError("the last line of RULE has no conditions")  # pragma: no cover


def status_condition(status: str, today: dt.date) -> Q:
    """The database condition for one status: its own line of RULE holds and no line above it does."""
    condition = Q()
    for line_status, conditions in RULE:
        holds = Q()
        for item in conditions:
            holds &= item.q(today)
        if line_status == status:
            return condition & holds
        # Django negates a nullable column's lookup as NOT (… AND col IS NOT NULL), as Python does above.
        condition &= ~holds
    raise ValueError(f"unknown status {status!r}")


def status_case(today: dt.date) -> Case:
    """The status of each row as a database expression: the lines of RULE, read top to bottom as CASE does."""
    whens = []
    for line_status, conditions in RULE:
        holds = Q()
        for item in conditions:
            holds &= item.q(today)
        if not conditions:
            return Case(*whens, default=Value(line_status.value))
        whens.append(When(holds, then=Value(line_status.value)))
    raise AssertionError("the last line of RULE has no conditions")  # pragma: no cover
