from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class SiteLanguageMiddleware:
    """Italian unless the visitor chose another language with the switcher (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language and show an Italian
    registry in English to most visitors abroad and to many at home; the choice is the visitor's.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = dict(settings.LANGUAGES)

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response


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
