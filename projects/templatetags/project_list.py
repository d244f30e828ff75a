"""The project list's cards and filter fields, written in Python (`{% load project_list %}`).

Through templates, twenty cards took 1.9 ms of a list page's first view and the fifteen filter fields 1.2 ms,
together longer than the database takes to find, count and read the projects: each value a template reads from a
form's field is first tried as an index and fails with an exception. The same markup joined here takes a
fraction of that. Every value that comes from the data or the visitor is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape

from django import template
from django.template.defaultfilters import urlencode
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from projects.cards import ProjectCard
from projects.filters import ProjectFilter
from registry.templatetags.pictures import period_bar

register = template.Library()

IN_ITALIAN = ' lang="it"'


def _fact(term: str, value: str, *, italian: bool = False) -> str:
    """One fact of the card; the data stay as the sources write them, in Italian (lang="it")."""
    return f"<div><dt>{term}</dt><dd{IN_ITALIAN if italian else ''}>{value}</dd></div>"


def card_html(card: ProjectCard, terms: dict[str, str], today: dt.date) -> str:
    facts = []
    if card.lead_name:
        lead = f'<a href="{escape(card.lead_url)}">{escape(card.lead_name)}</a>'
        facts.append(_fact(terms["lead"], lead, italian=True))
    period = escape(card.period) if card.period else f'<span class="muted">{terms["not_stated"]}</span>'
    facts.append(_fact(terms["period"], period))
    if card.status != "unknown":
        status = f'<span class="status status-{escape(card.status)}">{escape(str(card.status_label))}</span>'
        facts.append(_fact(terms["status"], status))
    if card.funding:
        facts.append(_fact(terms["funding"], escape(card.funding), italian=True))
    if card.territories:
        facts.append(_fact(terms["territory"], escape(card.territories), italian=True))
    if card.countries:
        facts.append(_fact(terms["countries"], escape(card.countries)))
    acronym = f' <span class="acronym" lang="it">({escape(card.acronym)})</span>' if card.acronym else ""
    themes = "".join(f"<li>{escape(str(label))}</li>" for label in card.themes)
    tags = f'<ul class="tags">{themes}</ul>' if themes else ""
    return (
        '<article class="card">'
        f'<p class="kind">{escape(str(card.kind_label))}</p>'
        f'<h2><a href="{escape(card.url)}" lang="it">{escape(card.title)}</a>{acronym}</h2>'
        f'<dl class="facts">{"".join(facts)}</dl>'
        f"{period_bar(card, today)}"
        f"{tags}"
        "</article>"
    )


@register.simple_tag
def project_cards(cards: Iterable[ProjectCard]) -> SafeString:
    # The labels translated once for the page, not once per card.
    terms = {
        "lead": _("Lead partner"),
        "period": _("Period"),
        "status": _("Status"),
        "funding": _("Funding"),
        "territory": _("Territory"),
        "countries": _("Countries"),
        "not_stated": _("not stated in the sources"),
    }
    terms = {key: escape(term) for key, term in terms.items()}
    today = timezone.localdate()  # once for the page: 13 µs a card
    return mark_safe("".join(card_html(card, terms, today) for card in cards))


# Chosen by typing, with suggestions from the API as one types (static/js/typeahead.js): (what the suggestions are,
# where they come from, the help beside the field). Without JavaScript a name or code still works.
TYPED_FIELDS = {
    "municipality": ("municipality", "/api/v1/municipalities/"),
    "partner": ("partner", "/api/v1/partners/"),
    "lead_partner": ("partner", "/api/v1/partners/"),
}


def _typed_input(field, kind: str, source: str) -> str:
    field_id = escape(field.id_for_label)
    value = field.value()
    if kind == "municipality":
        help_text = _("Type a name (Asti, Nizza Monferrato) or an ISTAT code.")
    else:
        help_text = _("Type a name or another name the organisation goes by.")
    # As Django marks the fields it draws: invalid, and described by its errors too.
    invalid = f' aria-invalid="true" aria-describedby="{field_id}-help {field_id}_error"' if field.errors else ""
    described = "" if invalid else f' aria-describedby="{field_id}-help"'
    return (
        f'<input type="text" name="{escape(field.name)}" id="{field_id}" value="{escape(str(value or ""))}" '
        f'list="{field_id}-options" autocomplete="off"{invalid}{described} '
        f'data-typeahead="{source}" data-typeahead-kind="{kind}">'
        f'<datalist id="{field_id}-options"></datalist>'
        f'<p class="help" id="{field_id}-help">{escape(help_text)}</p>'
    )


@register.simple_tag
def filter_fields(project_filter: ProjectFilter, candidates: dict) -> SafeString:
    """Every filter but the sort (which has its own form beside the results), with its errors and, for a typed name
    that fits several records, the candidates as links."""
    rows = []
    did_you_mean = escape(_("Did you mean"))
    for field in project_filter.form:
        if field.name == "sort":
            continue
        errors = field.errors
        typed = TYPED_FIELDS.get(field.name)
        widget = _typed_input(field, *typed) if typed else str(field)
        messages = "".join(f'<p class="error" role="alert">{escape(str(error))}</p>' for error in errors)
        if messages:  # the id the field's aria-describedby names (Django's, or the typed input's)
            messages = f'<div id="{escape(field.auto_id)}_error">{messages}</div>'
        offered = ""
        if candidates.get(field.name):
            links = "".join(
                f'<li><a href="?{escape(field.name)}={escape(urlencode(value))}">{escape(str(label))}</a></li>'
                for value, label in candidates[field.name]
            )
            offered = f'<ul class="candidates" aria-label="{did_you_mean}">{links}</ul>'
        rows.append(
            f'<div class="field{" has-error" if errors else ""}">'
            f'<label for="{escape(field.id_for_label)}">{escape(str(field.label))}</label>'
            f"{widget}{messages}{offered}</div>"
        )
    return mark_safe("".join(rows))
