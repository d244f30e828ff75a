"""Public pages read from a PostgreSQL replica when there is one (DATABASE_REPLICA_URL); everything else
uses the primary.

What a visitor reads (a GET or HEAD outside the admin) may lag the primary by the replica's delay, as
a cached page may; an editor's pages, every write and every read inside a request that writes, the
sessions, accounts and login counts always use the primary, so that nobody misses what they just saved.
RouteReadsMiddleware marks the requests; commands and tests, unmarked, use the primary.
"""

from __future__ import annotations

from contextvars import ContextVar

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
            return self.get_response(request)
        finally:
            _public_read.reset(token)


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
