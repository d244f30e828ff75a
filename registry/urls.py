from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from projects import api
from projects.feeds import LatestProjectsFeed
from registry import overviews, sources, views

# The admin's header and page titles name the registry, in the editor's language.
admin.site.site_header = _("Registry of migrant-inclusion projects")
admin.site.site_title = _("Registry of migrant-inclusion projects")
admin.site.index_title = _("Registry administration")

api_urlpatterns = [
    # Fixed paths under projects/ (such as projects/facets/) go here, before the router: its detail
    # route would take them for a project's slug.
    path("projects/facets/", api.ProjectFacetsView.as_view(), name="project-facets"),
    *api.router.urls,
    path("", RedirectView.as_view(pattern_name="api:docs", permanent=False), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The reference page loads its script from a URL of its own: no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

funder_urlpatterns = [
    path("", overviews.funder_list, name="list"),
    path("<slug:slug>/", overviews.funder_detail, name="detail"),
]

place_urlpatterns = [
    path("", overviews.place_index, name="index"),
    path("<slug:region>/", overviews.region_detail, name="region"),
    path("<slug:region>/<slug:province>/", overviews.province_detail, name="province"),
    path("<slug:region>/<slug:province>/<slug:municipality>/", overviews.municipality_detail, name="municipality"),
]

urlpatterns = [
    path("api/v1/", include((api_urlpatterns, "api"))),
    path("healthz", views.health, name="healthz"),
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    # Django's set_language view, which the admin's language switch posts to (registry.middleware).
    path("i18n/", include("django.conf.urls.i18n")),
    # The public pages in Italian at their plain address and in English under /en/: a page in either
    # language can be linked, and the language is switched by a link.
    *i18n_patterns(
        path("", views.home, name="home"),
        path("about/", views.about, name="about"),
        path("feed/", LatestProjectsFeed(), name="feed"),
        path("projects/", include("projects.urls")),
        path("partners/", include("partners.urls")),
        path("funders/", include((funder_urlpatterns, "funders"))),
        path("places/", include((place_urlpatterns, "places"))),
        path("sources/", sources.source_list, name="sources"),
        path("sources/<slug:slug>/", sources.source_detail, name="source"),
        prefix_default_language=False,
    ),
]
