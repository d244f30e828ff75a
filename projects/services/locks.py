"""One sheet import at a time: each holds the registry's import lock from before it reads what is stored
until it has written, so that two imports naming the same new organisation cannot both plan to create it."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import OperationalError, transaction

# Any constant shared by every process: the key of PostgreSQL's advisory lock.
IMPORT_LOCK_KEY = 0x52454749  # "REGI"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout runs out


class ImportBusy(Exception):
    """Another import held the lock for longer than this one would wait; nothing was written."""


@contextmanager
def import_lock(*, wait_seconds: float):
    """Take the import lock for the rest of the current transaction, waiting up to `wait_seconds` for it.

    PostgreSQL: a transaction-scoped advisory lock (every app server shares it). SQLite: the
    database's own write lock, taken by a statement that writes nothing, before any read; SQLite
    would otherwise refuse the second writer at once instead of letting it wait.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("the import lock lasts as long as a transaction: take it inside transaction.atomic()")
    milliseconds = max(1, int(wait_seconds * 1000))
    with connection.cursor() as cursor:
        try:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{milliseconds}ms"])
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
                cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
            else:
                # Back afterwards to the wait the connection was opened with (Python's default: 5 s).
                previous = int(float(connection.settings_dict["OPTIONS"].get("timeout", 5)) * 1000)
                cursor.execute(f"PRAGMA busy_timeout = {milliseconds}")
                try:
                    cursor.execute("UPDATE projects_indexstate SET id = id WHERE 0")
                finally:
                    cursor.execute(f"PRAGMA busy_timeout = {previous}")
        except OperationalError as error:
            if _is_lock_timeout(error):
                raise ImportBusy(f"another import held the registry for more than {wait_seconds:g} s") from error
            raise
    yield


def _is_lock_timeout(error: OperationalError) -> bool:
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return True
    return "database is locked" in str(error)
