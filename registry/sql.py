"""Query parts any app may use: they name no model."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db.models import F, Lookup


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
