"""Public pages kept whole in the cache, under a key that names everything they show may depend on.

A page is asked for again far more often than what it shows changes: the project list and an organisation's
page are read from the cache until the public index changes (its stamp: every write to a project, its links or
a record its projects name moves it), the day changes (statuses), or whatever else the page names changes.
Such a page holds nothing of one visitor's: no form posts from it, so it carries no CSRF token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language


def page_key(request, name: str, *parts) -> str:
    """The key of the page `name`: the index's stamp, the day, the language (its words and the links to the page
    in the other one), the site's address (the alternates in its head are absolute), the query string in any
    order, and `parts`, what else the page shows."""
    query = sorted((key, value) for key, values in request.GET.lists() for value in values)
    digest = hashlib.sha256(repr((request.build_absolute_uri("/"), query, parts)).encode()).hexdigest()
    # Read through the app registry: the organisations' app, which keeps its pages here, never imports projects.
    stamp = apps.get_model("projects", "IndexState").current()
    return f"{name}:{stamp}:{timezone.localdate()}:{get_language()}:{digest}"


def kept_page(key: str, make: Callable[[], HttpResponse]) -> HttpResponse:
    """The page kept under `key`, or the answer `make` gives, kept for the next visitor when it is a 200."""
    html = cache.get(key)
    if html is not None:
        return HttpResponse(html)
    response = make()
    if response.status_code == 200 and not response.streaming:
        cache.set(key, response.content, settings.LIST_CACHE_SECONDS)
    return response
