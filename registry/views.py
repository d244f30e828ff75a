"""Pages that belong to no one app."""

import logging

from django.conf import settings
from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from registry import overviews

logger = logging.getLogger(__name__)


@require_safe
def home(request):
    """What the registry is, its figures, and the ways into it: words, places, themes, funders."""
    return render(request, "registry/home.html", overviews.kept("home", build=overviews.home_data))


@require_safe
def about(request):
    """What the registry holds, where it comes from, how to correct it and how to reuse it."""
    names = {"projects_url": "projects:list", "places_url": "places:index", "funders_url": "funders:list"}
    context = {key: reverse(name) for key, name in names.items()}
    context.update(api_url=reverse("api:docs"), feed_url=reverse("feed"))
    return render(request, "registry/about.html", context)


@require_safe
@never_cache
def health(request):
    """`ok` when this process can answer and reach its database; 503 when the database cannot be reached.

    For load balancers, monitoring and process managers: no template, no session, one `SELECT 1`.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database cannot be reached")
        return HttpResponse("database unavailable", status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers to a login refused after too many failures: why, for how long, who can lift it."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": minutes,
        "title": _("Login temporarily blocked"),
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
    }
    return render(request, "admin/locked_out.html", context, status=429)
