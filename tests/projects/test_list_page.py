"""The project list as people use it: the filters folded on a phone, the sort beside the count, the filters in
use as chips, one style for dates, and the data marked as Italian on an English page."""

import re

import pytest
from django.test import Client

from tests.factories import MARKER, make_partner, make_project, make_territory, municipality, word
from tests.pages import content, text_of

pytestmark = pytest.mark.django_db


def page(client, params: dict) -> str:
    response = client.get("/projects/", params)
    assert response.status_code == 200, content(response)
    return content(response)


def filter_panel(html: str) -> str:
    return re.search(r"<details class=\"filter-panel\"[^>]*>.*?</details>", html, re.S).group(0)


def sort_form(html: str) -> str:
    return re.search(r'<form class="sort-form".*?</form>', html, re.S).group(0)


def hidden_inputs(form: str) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)


# --- the filters, folded -----------------------------------------------------------------------


def test_the_filters_fold_behind_a_button_that_counts_those_in_use(client):
    tag = word()
    make_project(title=f"{MARKER} {tag}", themes=["housing"])
    panel = filter_panel(page(client, {"q": tag, "theme": "housing"}))
    assert re.match(r"<details class=\"filter-panel\" data-filter-panel>", panel)  # closed: the results come first
    assert re.search(r"<summary>Filters \(2\)</summary>", panel)
    assert 'name="theme"' in panel


def test_the_filters_button_has_no_count_when_none_is_in_use(client):
    assert "<summary>Filters</summary>" in filter_panel(page(client, {}))


def test_filters_that_cannot_be_read_are_shown_open(client):
    response = client.get("/projects/", {"theme": "gardening"})
    assert response.status_code == 400
    assert re.search(r"<details class=\"filter-panel\" data-filter-panel open>", content(response))


def test_the_filter_panel_works_without_its_script(client):
    # A <details>, opened and closed by the browser itself; the script only keeps it open on a wide screen.
    html = page(client, {})
    assert "<summary>" in filter_panel(html) and 'src="/static/js/filter-panel.' in html


# --- the sort, beside the count ---------------------------------------------------------------


def test_the_sort_has_its_own_form_beside_the_count_keeping_the_other_filters(client):
    tag = word()
    make_project(title=f"{MARKER} {tag}", themes=["housing"])
    html = page(client, {"q": tag, "theme": "housing", "sort": "-start", "page": "1"})
    form = sort_form(html)
    assert sorted(hidden_inputs(form)) == [("q", tag), ("theme", "housing")]  # neither the sort nor the page
    assert '<option value="-start" selected>' in form and '<button type="submit">' in form
    head = re.search(r'<div class="results-head">.*?</form>', html, re.S).group(0)
    assert '<p class="result-count">1 project</p>' in head


def test_the_filter_form_keeps_the_sort_chosen_and_offers_it_no_second_time(client):
    panel = filter_panel(page(client, {"sort": "title"}))
    assert '<input type="hidden" name="sort" value="title">' in panel
    assert not re.search(r'<select[^>]*name="sort"', panel)


def test_the_sort_form_sorts(client):
    tag = word()
    first, second = make_project(title=f"{MARKER} {tag} A"), make_project(title=f"{MARKER} {tag} B")
    form = sort_form(page(client, {"q": tag}))
    params = dict(hidden_inputs(form)) | {"sort": "-title"}
    html = page(client, params)
    assert html.index(second.title) < html.index(first.title)


# --- the filters in use -------------------------------------------------------------------------


def test_each_filter_in_use_has_a_named_remove_link_and_all_can_be_removed_at_once(client):
    tag = word()
    make_project(title=f"{MARKER} {tag}", themes=["housing"])
    html = page(client, {"q": tag, "theme": "housing"})
    chips = re.search(r'<ul class="active-filters"[^>]*>(.*?)</ul>', html, re.S).group(1)
    assert f'href="?q={tag}" aria-label="Remove the filter Theme: Housing"' in chips
    assert f'href="?theme=housing" aria-label="Remove the filter Search: {tag}"' in chips
    assert '<li class="clear-all"><a href="/projects/">Remove all filters</a></li>' in chips


def test_no_chips_and_no_clear_all_when_no_filter_is_in_use(client):
    html = page(client, {})
    assert 'class="active-filters"' not in html and "Remove all filters" not in html


# --- dates and statuses -------------------------------------------------------------------------


def test_cards_write_every_period_in_one_style(db):
    tag = word()
    for index, period in enumerate(
        ("Maggio 2024 - Dicembre 2025", "2024 - 2027", "26 mesi", "ottobre 2018 – marzo 2020")
    ):
        make_project(title=f"{MARKER} {tag} {index}", period=period)
    text = text_of(page(Client(), {"q": tag}))  # Italian
    for shown in ("maggio 2024 – dicembre 2025", "2024 – 2027", "26 mesi", "ottobre 2018 – marzo 2020"):
        assert f"Periodo {shown}" in text
    assert "Maggio 2024" not in text and "2024 - 2027" not in text


def test_cards_on_an_english_page_write_the_period_in_english(client):
    tag = word()
    make_project(title=f"{MARKER} {tag}", period="Maggio 2024 - Dicembre 2025")
    assert "Period May 2024 – December 2025" in text_of(page(client, {"q": tag}))


def test_an_unknown_period_is_said_in_plain_words_not_as_a_status_badge(client):
    tag = word()
    make_project(title=f"{MARKER} {tag}")
    card = re.search(r'<article class="card">.*?</article>', page(client, {"q": tag}), re.S).group(0)
    assert "status-unknown" not in card and "Period not stated" not in card
    assert "Period not stated in the sources" in text_of(card)


def test_a_known_period_keeps_its_status_badge(client):
    tag = word()
    make_project(title=f"{MARKER} {tag}", period="2018 - 2019")
    assert '<span class="status status-closed">Closed</span>' in page(client, {"q": tag})


# --- data in Italian ----------------------------------------------------------------------------


def test_the_data_on_an_english_list_are_marked_as_italian(client):
    tag = word()
    lead = make_partner(name=f"{MARKER} Comune {tag}")
    territory = make_territory(name=f"{MARKER} Astigiano {tag}", municipalities=[municipality("Asti", "AT")])
    project = make_project(title=f"{MARKER} Accoglienza {tag}", lead=lead, territories=[territory])
    html = page(client, {"q": tag})
    assert f'lang="it">{project.title}</a>' in html
    assert f'<dd lang="it"><a href="/partners/{lead.slug}/">{lead.name}</a></dd>' in html
    assert f'<dd lang="it">{territory.name}</dd>' in html


def test_a_chosen_place_is_data_a_chosen_theme_is_vocabulary(client):
    html = page(client, {"region": "01", "theme": "housing"})
    chips = re.search(r'<ul class="active-filters"[^>]*>(.*?)</ul>', html, re.S).group(1)
    assert '<span>Region:</span> <span class="value" lang="it">Piemonte</span>' in chips
    assert "<span>Theme:</span> Housing <a" in chips


# --- the project page -------------------------------------------------------------------------


def test_the_project_page_shows_no_machine_dates_but_in_its_time_elements(client):
    project = make_project(period="01/03/2024 - Dicembre 2025")
    html = content(client.get(project.get_absolute_url()))
    assert '<time datetime="2024-03-01">1 March 2024</time> – <time datetime="2025-12">December 2025</time>' in html
    outside_attributes = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"\b\d{4}-\d{2}\b", outside_attributes)


def test_the_project_page_of_an_unknown_period_has_no_status_badge(client):
    html = content(client.get(make_project().get_absolute_url()))
    assert "status-unknown" not in html and "Period not stated" not in html


def test_the_project_page_of_a_duration_alone_says_the_duration_once(client):
    text = text_of(content(client.get(make_project(period="26 mesi").get_absolute_url())))
    assert "Duration 26 months" in text and text.count("26 months") == 1


def test_the_project_page_marks_its_data_as_italian_on_an_english_page(client):
    project = make_project(summary="Un progetto di accoglienza.", activities="Fase 1\nFase 2")
    html = content(client.get(project.get_absolute_url()))
    assert f'<h1 lang="it">{project.title}</h1>' in html
    assert '<div lang="it"><p>Un progetto di accoglienza.</p></div>' in html
    assert '<ol class="activities" lang="it"><li>Fase 1</li>' in html


def test_a_partial_territory_says_whose_reading_it_is_without_the_editors_note(client):
    territory = make_territory(
        municipalities=[municipality("Cuneo", "CN")], basis="partial", note="Nota di lavoro: sources/000_x.txt"
    )
    html = content(client.get(make_project(territories=[territory]).get_absolute_url()))
    assert "1 municipality: the source names only some; the others are the registry's reading of it." in html
    assert "Nota di lavoro" not in html and "sources/000_x.txt" not in html


# --- markup written in Python (projects/templatetags/project_list.py) ----------------------------


def test_a_card_writes_the_data_as_text_never_as_markup(client):
    tag = word()
    lead = make_partner(name=f'{MARKER} <i>Coop</i> "Alfa" & Beta {tag}')
    territory = make_territory(name=f"{MARKER} Val <b>Bormida</b> {tag}", municipalities=[municipality("Asti", "AT")])
    make_project(title=f"{MARKER} <script>alert(1)</script> {tag}", lead=lead, territories=[territory])
    card = re.search(r'<article class="card">.*?</article>', page(client, {"q": tag}), re.S).group(0)
    assert "<script>" not in card and "<i>" not in card and "<b>" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "&lt;i&gt;Coop&lt;/i&gt; &quot;Alfa&quot; &amp; Beta" in card
    assert "Val &lt;b&gt;Bormida&lt;/b&gt;" in card
    assert f"{MARKER} <script>alert(1)</script> {tag}" in text_of(card)


def test_a_typed_filter_echoes_what_was_typed_as_text(client):
    typed = f'"><script>alert({word()})</script>'
    response = client.get("/projects/", {"partner": typed})
    assert response.status_code == 400
    html = content(response)
    field = re.search(r'<input type="text" name="partner"[^>]*>', html).group(0)
    assert "<script>" not in html.split('name="partner"', 1)[1].split("</div>", 1)[0]
    assert 'value="&quot;&gt;&lt;script&gt;alert(' in field


def test_the_candidates_of_a_typed_name_are_links_whose_value_is_encoded(client):
    shared = word()
    first = make_partner(name=f"Cooperativa {shared} <Uno>", slug=f"coop-{shared}-uno")
    second = make_partner(name=f"Associazione {shared} & Due", slug=f"ass-{shared}-due")
    make_project(lead=first, partners=[second])
    html = content(client.get("/projects/", {"partner": shared}))
    offered = re.search(r'<ul class="candidates"[^>]*>(.*?)</ul>', html, re.S).group(1)
    assert f'<a href="?partner=coop-{shared}-uno">Cooperativa {shared} &lt;Uno&gt;</a>' in offered
    assert f'<a href="?partner=ass-{shared}-due">Associazione {shared} &amp; Due</a>' in offered


def test_a_field_in_error_is_described_by_its_error_which_is_on_the_page(client):
    html = content(client.get("/projects/", {"year": "abc", "partner": f"nessuna {word()}", "sort": "sideways"}))
    for field in ("year", "partner", "sort"):
        control = re.search(rf'<(?:select|input type="text")[^>]* name="{field}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in control, field
        described = re.search(r'aria-describedby="([^"]+)"', control).group(1).split()
        assert f"id_{field}_error" in described
        for target in described:
            assert f'id="{target}"' in html, (field, target)
