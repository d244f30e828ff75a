from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.urls import translate_url
from django.utils.translation import get_language, get_language_from_path, get_language_info


def page_in(full_path: str, code: str) -> str:
    """The same page (path and query) in another language: translate_url for a page the site has, the
    language prefix changed for one it does not (a 404 page's links lead to the same address)."""
    if code == get_language():
        return full_path
    translated = translate_url(full_path, code)
    if translated != full_path:
        return translated
    parts = urlsplit(full_path)
    path = parts.path
    current = get_language_from_path(path)
    if current and current != settings.LANGUAGE_CODE:
        path = path[len(current) + 1 :] or "/"
    if code != settings.LANGUAGE_CODE:
        path = f"/{code}{path}"
    return urlunsplit(parts._replace(path=path))


def language_links(request) -> dict:
    """This page in each of the site's languages: a link a visitor can follow, share or bookmark, and the
    alternates search engines read (absolute addresses, the Italian one for any other language)."""
    current = get_language()
    full_path = request.get_full_path()
    links = [
        # Each language in its own words ("Italiano", "English"): a reader of the other one finds it.
        {
            "code": code,
            "name": get_language_info(code)["name_local"].capitalize(),
            "url": page_in(full_path, code),
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]
    try:
        alternates = [{"hreflang": link["code"], "href": request.build_absolute_uri(link["url"])} for link in links]
    except DisallowedHost:
        # The 400 page of a request for another site's name: no address of this one to give.
        alternates = []
    if alternates:
        default = next(link for link in alternates if link["hreflang"] == settings.LANGUAGE_CODE)
        alternates.append({"hreflang": "x-default", "href": default["href"]})
    return {"language_links": links, "language_alternates": alternates}
