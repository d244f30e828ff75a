"""Query parts shared by the readers that bypass model instances (the exports, the API's records, the cards)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TypeVar

import psycopg
from django.conf import settings
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Aggregate, QuerySet, TextField, Value
from psycopg import Pipeline

from registry.sql import AmongIds

from .prepared import PreparingCursor

T = TypeVar("T")


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
    database takes to run it. `build(ids)` must select its rows with `among(…, ids)` (once, or in each part of a
    union), the ids' only use; the rows come back as the database driver gives them (no model field converters).
    """

    SAMPLE = (-1,)  # ids no row has: their parameter marks where the ids go in the compiled SQL

    def __init__(self, build: Callable[[Sequence[int]], QuerySet]):
        self.build = build
        self.compiled: dict[str, tuple[str, list, list[int]]] = {}
        self.model = None

    def rows(self, ids: Sequence[int], using: str | None = None) -> list[tuple]:
        """The rows of these ids, from the database `using`; by default where the router sends a read of the query's
        model (a visitor's page: the replica, if there is one)."""
        if using is None:
            if self.model is None:
                self.model = self.build(self.SAMPLE).model
            using = router.db_for_read(self.model)
        connection = connections[using]
        statement = self.statement(ids, using)
        if statement is None:
            return list(self.build(ids).using(using))  # ids bound one by one: the SQL differs with their number
        with statement_cursor(connection) as cursor:
            cursor.execute(*statement)
            return cursor.fetchall()

    def statement(self, ids: Sequence[int], using: str) -> tuple[str, list] | None:
        """The SQL and parameters that read the rows of these ids; None on a database that binds them one by one."""
        vendor = connections[using].vendor
        sample = AmongIds.parameter(vendor, self.SAMPLE)
        if sample is None:
            return None
        if using not in self.compiled:
            sql, params = self.build(self.SAMPLE).query.get_compiler(using).as_sql()
            params = list(params)
            slots = [slot for slot, param in enumerate(params) if param == sample]
            if not slots:  # it would run with the sample's ids whatever it is given, and find nothing
                raise ValueError(f"{self.build.__name__} does not select its rows with among(…, ids)")
            self.compiled[using] = (sql, params, slots)
        sql, params, slots = self.compiled[using]
        params = list(params)
        for slot in slots:
            params[slot] = AmongIds.parameter(vendor, ids)
        return sql, params


def read_ahead(
    chunks: Iterator[list[int]],
    queries: Sequence[CompiledQuery],
    then: Callable[[list[int], list[list[tuple]]], T],
    using: str,
) -> Iterator[T]:
    """`then(ids, rows)` for each chunk of ids, in order, `rows` being each query's rows for the chunk from the
    database `using` (which `then`'s own reads should use too, so that a chunk is read from one copy of the data).

    On PostgreSQL, the next chunk's queries are sent (in pipeline mode) before this chunk's result is handed over,
    and their rows are read when the next result is asked for: the database runs them while the caller works on
    this one, where otherwise Python and the database take turns (for an export, a third of its time was the
    database's). `then` runs before the next chunk is sent, so that queries of its own are answered at once. How
    far the database gets depends on how much of their rows the connection's socket holds unread: put the queries
    with the most rows last. Django's query log times only the sending of these queries, not their wait.

    While a result is handed over, the connection is in pipeline mode, in one implicit transaction: a read made
    then is answered (after the chunk's queries), but a write cannot count its rows, the transaction cannot be
    changed (`transaction.atomic()` outside a transaction fails) and no server-side cursor (`QuerySet.iterator()`)
    can be opened, until the next result is asked for or the iteration is closed.
    """
    connection = connections[using]
    if (
        connection.vendor != "postgresql"
        or not Pipeline.is_supported()
        or not all(query.statement(CompiledQuery.SAMPLE, using) for query in queries)  # ids bound one by one
    ):
        for ids in chunks:
            yield then(ids, [query.rows(ids, using) for query in queries])
        return
    ids = next(chunks, None)
    sent = _SentQueries(connection, queries, ids, using) if ids else None
    while sent is not None:
        result = then(sent.ids, sent.rows())
        ids = next(chunks, None)  # a server-side cursor's rows: read out of pipeline mode
        sent = _SentQueries(connection, queries, ids, using) if ids else None
        try:
            yield result
        except BaseException:  # the caller stopped (GeneratorExit) or failed: no result left behind on the connection
            if sent is not None:
                sent.close(*sys.exc_info())
            raise
        del result  # this chunk's result freed before the next one is made, not after


class _SentQueries:
    """A chunk's queries sent in pipeline mode, the database asked to send all their rows without waiting to be
    synced."""

    def __init__(self, connection: BaseDatabaseWrapper, queries: Sequence[CompiledQuery], ids: list[int], using: str):
        self.ids = ids
        self.connection = connection
        self.exits = ExitStack()
        try:
            raw = _connected(connection)
            self.cursors = [self.exits.enter_context(_wrapped_cursor(connection, raw)) for _ in queries]
            with connection.wrap_database_errors:
                # Entered after the cursors, so left before they close: the rows not read go to open cursors.
                self.exits.enter_context(raw.pipeline())
            for query, cursor in zip(queries, self.cursors, strict=True):
                cursor.execute(*query.statement(ids, using))
            with connection.wrap_database_errors:
                # PostgreSQL sends rows as its output buffer fills; without this, the last of them (a small result's
                # only ones) and the end of each query would wait for the pipeline's sync, that is for them to be read.
                # Bytes the socket does not take now leave with the next message.
                raw.pgconn.send_flush_request()
                raw.pgconn.flush()
        except BaseException:
            self.close(*sys.exc_info())
            raise

    def rows(self) -> list[list[tuple]]:
        try:
            rows = [cursor.fetchall() for cursor in self.cursors]
        except BaseException:
            self.close(*sys.exc_info())
            raise
        with self.connection.wrap_database_errors:
            self.exits.close()  # out of pipeline mode: what the connection does next is answered as usual
        return rows

    def close(self, *error) -> None:
        """Leave pipeline mode, discarding rows not read; with an exception being raised, psycopg logs a failure
        to leave rather than raising it over that exception."""
        self.exits.__exit__(*error)


@contextmanager
def statement_cursor(connection) -> Iterator:
    """A cursor whose statements PostgreSQL plans once per connection, where PREPARED_STATEMENTS allows: a card
    page's query is planned in 1.1 ms and run in 0.2 ms for one project (1.2 ms for twenty), and its SQL is the same
    for any ids. Elsewhere, and on other databases, the connection's usual cursor. Queries still pass Django's cursor
    wrapper: counted, logged and timed as any other."""
    if connection.vendor != "postgresql" or not settings.PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            yield cursor
        return
    with _wrapped_cursor(connection, _connected(connection)) as cursor:
        yield cursor


def _connected(connection: BaseDatabaseWrapper) -> psycopg.Connection:
    """The driver's connection, after what connection.cursor() does first: a stale connection is replaced, as for
    any query."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    return connection.connection


def _wrapped_cursor(connection: BaseDatabaseWrapper, raw: psycopg.Connection) -> CursorWrapper:
    """A cursor of the driver's connection `raw`, preparing its statements where PREPARED_STATEMENTS allows, in
    Django's cursor wrapper."""
    with connection.wrap_database_errors:
        cursor = PreparingCursor.on(raw) if settings.PREPARED_STATEMENTS else raw.cursor()
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
