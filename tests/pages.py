"""Reading the public pages and exports the way a visitor's program would."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape


def content(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def export_json(client, params: dict | None = None) -> list[dict]:
    response = client.get("/projects/export.json", params or {})
    assert response.status_code == 200, content(response)
    return json.loads(content(response))


def export_csv(client, params: dict | None = None) -> list[list[str]]:
    response = client.get("/projects/export.csv", params or {})
    assert response.status_code == 200, content(response)
    return list(csv.reader(io.StringIO(content(response))))


def listed_titles(client, params: dict | None = None) -> list[str]:
    """Titles of the projects on the list page, in the order shown (the test sets a large page size)."""
    response = client.get("/projects/", params or {})
    assert response.status_code == 200, content(response)
    return card_titles(content(response))


def card_titles(html: str) -> list[str]:
    return [
        unescape(re.sub(r"<[^>]+>", "", title)).strip()
        for title in re.findall(r'<article class="card">.*?<h2><a [^>]*>(.*?)</a>', html, re.S)
    ]


def text_of(html: str) -> str:
    """The page's text without tags, with runs of white space made single."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def section(html: str, heading: str) -> str:
    """The HTML of the <section> whose <h2> is `heading`."""
    for match in re.finditer(r"<section[^>]*>(.*?)</section>", html, re.S):
        if re.search(rf"<h2>\s*{re.escape(heading)}\s*</h2>", match.group(1)):
            return match.group(1)
    raise AssertionError(f"no section headed {heading!r}")
