from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from projects import api
from registry import views

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

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:list", permanent=False), name="home"),
    path("projects/", include("projects.urls")),
    path("partners/", include("partners.urls")),
    path("api/v1/", include((api_urlpatterns, "api"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.health, name="healthz"),
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
]
