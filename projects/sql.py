"""Query parts shared by the readers that bypass model instances (the exports, the API's records, the cards)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from django.db import connections
from django.db.models import Aggregate, F, Lookup, QuerySet, TextField, Value


class AmongIds(Lookup):
    """The column is one of these ids, given to the database as one parameter however many they are:
    binding thousands of parameters one by one costs the client more than the query costs the database
    (and SQLite before 3.32 refuses more than 999). With one parameter, the SQL is the same for any ids
    (see `CompiledQuery`)."""

    prepare_rhs = False

    @classmethod
    def parameter(cls, vendor: str, ids: Sequence[int]) -> str | None:
        """The one parameter that carries `ids` on this database, or None where the ids go one by one."""
        if not hasattr(cls, f"as_{vendor}"):
            return None
        if vendor == "postgresql":
            return "{" + ",".join(map(str, ids)) + "}"
        if vendor == "sqlite":
            return json.dumps(list(ids))
        return None

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", (*params, *self.rhs)

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*params, self.parameter("postgresql", self.rhs))

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*params, self.parameter("sqlite", self.rhs))


def among(field: str, ids: Sequence[int]) -> AmongIds:
    return AmongIds(F(field), list(ids))


class Joined(Aggregate):
    """A group's texts joined by a separator, in no particular order."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s)"
    output_field = TextField()

    def __init__(self, expression, separator: str = ",", **extra):
        super().__init__(expression, Value(separator), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


class CompiledQuery:
    """A query over a list of ids, turned into SQL once per database and then run with any ids.

    For a page of twenty rows, Django compiling a query of several subqueries costs several times what the
    database takes to run it. `build(ids)` must select its rows with `among(…, ids)`, the ids' only use;
    the rows come back as the database driver gives them (no model field converters).
    """

    SAMPLE = (-1,)  # ids no row has: their parameter marks where the ids go in the compiled SQL

    def __init__(self, build: Callable[[Sequence[int]], QuerySet]):
        self.build = build
        self.compiled: dict[str, tuple[str, list, int]] = {}

    def rows(self, ids: Sequence[int], using: str = "default") -> list[tuple]:
        connection = connections[using]
        if AmongIds.parameter(connection.vendor, self.SAMPLE) is None:
            return list(self.build(ids).using(using))  # ids bound one by one: the SQL differs with their number
        if using not in self.compiled:
            sql, params = self.build(self.SAMPLE).query.sql_with_params()
            params = list(params)
            self.compiled[using] = (sql, params, params.index(AmongIds.parameter(connection.vendor, self.SAMPLE)))
        sql, params, slot = self.compiled[using]
        params = [*params[:slot], AmongIds.parameter(connection.vendor, ids), *params[slot + 1 :]]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
