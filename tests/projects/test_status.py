"""projects/status.py: one status rule, read in Python (pages, exports) and in SQL (the status filter)."""

import datetime as dt
import itertools

import pytest

from projects import periods
from projects.models import Project
from projects.status import RULE, status_on
from registry.enums import Status
from tests.factories import make_project

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 15)
DAYS = {"none": None, "past": dt.date(2024, 3, 1), "today": TODAY, "future": dt.date(2026, 9, 30)}

# Periods as sources write them, at every precision and with either bound missing.
TEXTS = [
    "2024 - 2027", "2025", "2023 - 2024", "2026 - 2028",
    "Maggio 2024 - Dicembre 2025", "giugno 2025", "maggio 2025", "luglio 2025 - dicembre 2026",
    "01/03/2024 - 31/12/2025", "15/06/2025 - 15/06/2025", "16/06/2025 - 31/12/2025", "01/01/2025 - 14/06/2025",
    "fino a dicembre 2025", "fino al 14/06/2025", "dal 2026", "dal 2020", "36 mesi",
]  # fmt: skip


def sql_statuses(project: Project) -> list[str]:
    """Every status whose database condition selects the project: exactly one if the rule is sound."""
    mine = Project.objects.filter(pk=project.pk)
    return [status for status in Status.values if mine.with_status(status, today=TODAY).exists()]


# Every pair of bounds a period can have (none, past, today, future), but those ending before they start.
PAIRS = [
    (start, end)
    for start, end in itertools.product(DAYS, DAYS)
    if not (DAYS[start] and DAYS[end] and DAYS[end] < DAYS[start])
]


@pytest.mark.parametrize(("start", "end"), PAIRS)
def test_sql_and_python_agree_on_every_combination_of_stated_days(start, end):
    project = make_project(start=DAYS[start], end=DAYS[end])

    assert sql_statuses(project) == [project.status_on(TODAY)]


@pytest.mark.parametrize("text", TEXTS)
def test_sql_and_python_agree_on_periods_written_in_italian(text):
    project = make_project(period=text)

    assert sql_statuses(project) == [project.status_on(TODAY)]


def test_every_status_is_reached_by_the_periods_tried():
    """The cases above would prove little if they all landed on one status."""
    found = {status_on(*_bounds(periods.parse_period(text)), TODAY) for text in TEXTS}

    assert found == set(Status.values)


def test_the_rule_has_one_line_per_status_and_ends_with_one_that_always_holds():
    assert sorted(status for status, _ in RULE) == sorted(Status.values)
    assert RULE[-1][1] == ()


def _bounds(period: periods.Period) -> tuple:
    fields = periods.period_fields(period)
    return fields["start"], fields["end"]


def test_the_rule_tests_only_the_two_bounds_status_on_reads():
    # status_on reads a condition's value as the start when it names "start", else as the end.
    assert {condition.field for _, conditions in RULE for condition in conditions} <= {"start", "end"}
