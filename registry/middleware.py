import logging

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)


class SecurityHeadersMiddleware:
    """The headers Django's SecurityMiddleware does not set, on every response: pages, admin, API and files.

    The Content-Security-Policy allows scripts, styles and images from the site itself only: no page has an
    inline script or style (the admin's and the API reference's included), so none needs a nonce. What the
    registry publishes is open data: the API and the exports may be read by pages of other sites.
    """

    OPEN_DATA_PREFIXES = ("/api/", "/projects/export")

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self.permissions = settings.PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", self.permissions)
        shared = request.path.startswith(self.OPEN_DATA_PREFIXES)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "cross-origin" if shared else "same-origin")
        return response


class AdminLanguageMiddleware:
    """The admin in the language its editor chose with the switch in its header (Django's set_language view,
    which keeps it in the django_language cookie); Italian, the site's language, until they choose.

    The public pages take their language from the address (English under /en/), and LocaleMiddleware gives
    every other address the default language: the admin, which has a single address for both languages,
    reads the cookie instead. Placed after LocaleMiddleware, so that its choice is the one the response uses.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        if request.path.startswith(reverse("admin:index")):
            chosen = self.chosen_language(request)
            if chosen:
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        return self.get_response(request)

    def chosen_language(self, request) -> str | None:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            code = translation.get_supported_language_variant(code)
        except LookupError:
            return None
        return code if code in self.languages else None


class NulCharacter(SuspiciousOperation):
    """A request carries a NUL character, which no form, filter or name of the registry ever holds."""


class RejectNulCharactersMiddleware:
    """A NUL anywhere in the path, the query string, a form's fields or a cookie answers 400, before any view.

    PostgreSQL refuses NUL in text, so a NUL that reached a query (a list filter, a search term, a
    session key) would end as a 500; no legitimate request has one. Django turns the exception into
    the 400 page and logs it under django.security.
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or self._in(request.GET) or self._in(request.COOKIES):
            raise NulCharacter("NUL character in the request")
        if request.method == "POST" and request.content_type in self.FORM_TYPES and self._in(request.POST):
            raise NulCharacter("NUL character in a form field")
        return self.get_response(request)

    @staticmethod
    def _in(data) -> bool:
        items = data.lists() if hasattr(data, "lists") else ((key, [value]) for key, value in data.items())
        return any("\x00" in key or any("\x00" in value for value in values) for key, values in items)


class DatabaseUnavailableMiddleware:
    """A request that loses the database (a restart, a failover, a full connection pool) answers 503 with
    Retry-After, not 500: the fault is passing, the client may try again, and the page says so.

    Django opens a new connection for the next request, so the site answers again by itself as soon as
    the database does (benchmarks/load_test.py --restart-at shows it). The page is rendered without the
    database: no session, no user.
    """

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("The database cannot be reached: %s", exception, exc_info=exception)
        response = HttpResponse(render_to_string("503.html", {"request": request}), status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
