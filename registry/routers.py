"""Public pages read from a PostgreSQL replica when there is one (DATABASE_REPLICA_URL); everything else
uses the primary.

What a visitor reads (a GET or HEAD outside the admin) may lag the primary by the replica's delay, as
a cached page may; an editor's pages, every write and every read inside a request that writes, the
sessions, accounts and login counts always use the primary, so that nobody misses what they just saved.
RouteReadsMiddleware marks the requests; commands and tests, unmarked, use the primary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextvars import Context, ContextVar, copy_context

from django.conf import settings

REPLICA = "replica"
PRIMARY_ONLY_APPS = frozenset({"admin", "auth", "axes", "contenttypes", "sessions"})
_public_read: ContextVar[bool] = ContextVar("public_read", default=False)


class RouteReadsMiddleware:
    """Marks a visitor's read (GET or HEAD outside the admin) as one the replica may answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        public = request.method in ("GET", "HEAD") and not request.path.startswith("/admin/")
        token = _public_read.set(public)
        try:
            response = self.get_response(request)
            if public and response.streaming and not response.is_async:
                # A streamed answer (an export) is read after this returns, when the mark is gone: its reads are
                # made in a copy of the request's context, so they go where the request's would.
                response.streaming_content = _read_in(copy_context(), response.streaming_content)
            return response
        finally:
            _public_read.reset(token)


def _read_in(context: Context, parts: Iterable[bytes]) -> Iterator[bytes]:
    """The parts, each made in `context`."""
    parts = iter(parts)
    while True:
        try:
            part = context.run(next, parts)
        except StopIteration:
            return
        yield part


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if _public_read.get() and REPLICA in settings.DATABASES and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, copied

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica is the primary's copy
