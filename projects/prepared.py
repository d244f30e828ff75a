"""Prepared statements on PostgreSQL for the queries compiled once (projects.sql.CompiledQuery).

Django turns psycopg's prepared statements off, so that a pooler in transaction mode that cannot keep them
still works, and binds parameters on the client, which never prepares. This cursor binds on the server and
prepares each statement it runs; the connection's other cursors are unchanged. Set PREPARED_STATEMENTS=0 in
the environment behind a pooler that does not keep prepared statements (PgBouncer before 1.21 in transaction
mode).
"""

from __future__ import annotations

from django.db.backends.postgresql.base import ServerBindingCursor
from psycopg import ClientCursor

# psycopg prepares nothing on a connection whose threshold is None, even when asked. A threshold no count reaches
# lets this cursor ask, and keeps the automatic preparing off: only server-binding cursors count, and Django's
# own cursors bind on the client.
ONLY_WHEN_ASKED = 2**31 - 1


class PreparingCursor(ServerBindingCursor):
    @classmethod
    def on(cls, connection) -> PreparingCursor:
        if connection.prepare_threshold is None:
            connection.prepare_threshold = ONLY_WHEN_ASKED
        return cls(connection)

    def execute(self, query, params=None, *, prepare=None, binary=None):
        super().execute(query, params, prepare=True, binary=binary)
        # psycopg keeps no text of a prepared statement's execution, where Django's query log (CaptureQueriesContext,
        # DEBUG's connection.queries) reads it: the statement with its values written in, as for any other query.
        self._query = _Statement(self.connection, query, params)
        return self


class _Statement:
    """What Django reads of the query a cursor last sent (`cursor._query.query`), written out only when read."""

    params = None

    def __init__(self, connection, sql, params):
        self._text = (connection, sql, params)

    @property
    def query(self) -> bytes:
        connection, sql, params = self._text
        return ClientCursor(connection).mogrify(sql, params).encode()
