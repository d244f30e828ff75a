"""Writing many rows at once: the registry's imports and seed write tens of thousands of link rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from django.apps import apps
from django.db import connection, models
from django.db.models import F, Lookup

# PostgreSQL takes long IN (…) lists well; SQLite counts every value against its parameter limit.
LARGEST_CHUNK = 5000


def chunk_size() -> int:
    """How many values one IN (…) list may hold on this database."""
    limit = connection.features.max_query_params
    return min(LARGEST_CHUNK, limit - 10) if limit else LARGEST_CHUNK


def chunked(items: Sequence, size: int | None = None) -> Iterator[Sequence]:
    """Slices of at most `size` items (by default as many as one IN (…) list may hold here)."""
    size = size or chunk_size()
    for start in range(0, len(items), size):
        yield items[start : start + size]


class AnyOf(Lookup):
    """`column = ANY(%s)` with one array parameter on PostgreSQL; `column IN (…)` elsewhere.

    A batch looks up thousands of CUPs, codes, titles and slugs at once: as an array they cost one
    parameter, where an IN (…) list costs Django and the driver work for each value.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def any_of(column: str, values: Sequence) -> AnyOf:
    """A filter for rows whose `column` is one of `values` (at most chunk_size() of them)."""
    return AnyOf(F(column), values)


def insert_rows(model: type[models.Model], columns: list[str], rows: list[tuple]) -> None:
    """Insert rows of column values (fields by name or attname, values as the fields take them): PostgreSQL's
    COPY where there is one, bulk_create elsewhere.

    Link rows are the bulk of an import (five or more per project); building a model instance for
    each costs more than the database does to store it.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        fields = [model._meta.get_field(c) for c in columns]
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        # JSON values go as JSON (psycopg would send a list as an array); every other value as it is.
        json = [n for n, field in enumerate(fields) if isinstance(field, models.JSONField)]
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for values in rows:
                if json:
                    values = list(values)
                    for n in json:
                        values[n] = fields[n].get_db_prep_save(values[n], connection)
                copy.write_row(values)
        return
    model.objects.bulk_create([model(**dict(zip(columns, values, strict=True))) for values in rows], batch_size=1000)


def delete_pks(model: type[models.Model], pks: Iterable[int]) -> None:
    for chunk in chunked(list(pks)):
        model.objects.filter(pk__in=chunk).delete()


# The apps whose tables a bulk write fills: the registry's own, links and index included.
REGISTRY_APPS = ("projects", "partners")


def planner_statistics_refresh() -> None:
    """Bring the database's planner statistics up to date after a bulk write (ANALYZE).

    A registry that grew from sixteen projects to a hundred thousand in one run is otherwise planned
    with the counts of the small one until autovacuum catches up: nested loops over tables assumed
    nearly empty, or sequential scans of tables assumed tiny.
    """
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return
        tables = sorted(
            {
                model._meta.db_table
                for label in REGISTRY_APPS
                for model in apps.get_app_config(label).get_models(include_auto_created=True)
                if model._meta.managed and not model._meta.proxy
            }
        )
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(table) for table in tables)}")
