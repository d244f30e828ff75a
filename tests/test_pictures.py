import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from registry import charts, italy
from tests.factories import make_project, make_territory, municipality
from tests.pages import content, text_of


def render(source: str, **context) -> str:
    with translation.override("en"):
        return Template("{% load pictures %}" + source).render(Context(context))


def tree(html: str) -> ET.Element:
    """The picture's markup as a tree (it is well-formed XML: no void elements, entities escaped)."""
    return ET.fromstring(html.strip())


def region_map(regions, caption="Projects by region", **options) -> ET.Element:
    marked = " marked=True" if options.get("marked") else ""
    return tree(render("{% regions_map regions caption=caption" + marked + " %}", regions=regions, caption=caption))


def links(figure: ET.Element) -> list[ET.Element]:
    return list(figure.find("svg").iter("a"))


def table_figures(figure: ET.Element) -> dict[str, str]:
    return {
        "".join(row.find("th").itertext()): "".join(row.find("td").itertext())
        for row in figure.find("details/table/tbody")
    }


@dataclass
class RegionCount:
    code: str
    name: str
    count: int
    url: str = ""


# --- Regions map ----------------------------------------------------------------------------------


def test_the_map_draws_all_twenty_regions_even_when_none_is_given():
    figure = region_map([])
    paths = list(figure.find("svg").iter("path"))
    assert len(paths) == len(italy.REGION_NAMES) == 20
    assert {path.get("d") for path in paths} == set(italy.shapes().paths.values())


def test_a_region_with_projects_and_a_url_is_a_link_named_by_its_count():
    figure = region_map([{"code": "01", "name": "Piemonte", "count": 120, "url": "/projects/?region=01"}])
    [link] = links(figure)
    assert link.get("href") == "/projects/?region=01"
    assert link.get("aria-label") == "Piemonte: 120 projects"
    assert link.find("title").text == "Piemonte: 120 projects"
    assert link.find("path").get("d") == italy.shapes().paths["01"]


def test_a_region_with_no_projects_is_not_a_link():
    figure = region_map([{"code": "14", "name": "Molise", "count": 0, "url": "/projects/?region=14"}])
    assert links(figure) == []


def test_the_list_gives_every_region_with_the_counts_given_and_zero_for_the_others():
    given = [
        RegionCount("03", "Lombardia", 1234, "/projects/?region=03"),
        RegionCount("19", "Sicilia", 7, "/projects/?region=19"),
    ]
    figures = table_figures(region_map(given))
    assert figures["Lombardia"] == "1,234" and figures["Sicilia"] == "7"
    others = {name: count for name, count in figures.items() if name not in {"Lombardia", "Sicilia"}}
    assert len(others) == 18 and set(others.values()) == {"0"}


def test_the_list_links_the_regions_the_map_links():
    figure = region_map([RegionCount("03", "Lombardia", 5, "/projects/?region=03")])
    listed = {a.get("href") for a in figure.find("details").iter("a")}
    assert listed == {a.get("href") for a in links(figure)} == {"/projects/?region=03"}


def test_each_region_is_shaded_by_its_count_and_zero_is_neutral():
    figure = region_map([RegionCount("01", "Piemonte", 100), RegionCount("05", "Veneto", 1)])
    fills = {path.get("d"): path.get("fill") for path in figure.find("svg").iter("path")}
    shapes = italy.shapes().paths
    assert fills[shapes["01"]] == charts.SEQUENTIAL_PALETTE[-1]
    assert fills[shapes["05"]] == charts.SEQUENTIAL_PALETTE[0]
    assert fills[shapes["14"]] == charts.ZERO_FILL


def test_the_legend_gives_the_ranges_of_the_colours():
    figure = region_map([RegionCount("01", "Piemonte", 120)])
    legend = ["".join(item.itertext()).strip() for item in figure.find("ul")]
    assert legend == ["Projects", "0", "1–25", "26–50", "51–75", "76–100", "101–125"]


def test_items_with_codes_that_are_not_regions_are_left_out():
    figure = region_map([RegionCount("99", "Atlantis", 5, "/x/"), RegionCount("7", "Liguria", 2, "/l/")])
    assert [link.get("aria-label") for link in links(figure)] == ["Liguria: 2 projects"]
    assert "Atlantis" not in ET.tostring(figure, encoding="unicode")


def test_the_map_has_its_caption_and_its_credit():
    figure = region_map([], caption="Where the projects are")
    assert figure.find("figcaption").text == "Where the projects are"
    assert "@svg-maps/italy, CC BY 4.0" in "".join(figure.find("p[@class='credit']").itertext())


def test_the_marked_map_marks_the_regions_given_and_lists_only_them():
    figure = region_map(
        [{"code": "01", "name": "Piemonte", "url": "/p/"}, {"code": "05", "name": "Veneto", "url": "/v/"}],
        marked=True,
    )
    shapes = italy.shapes().paths
    fills = {path.get("d"): path.get("fill") for path in figure.find("svg").iter("path")}
    assert {d for d, fill in fills.items() if fill == charts.MARKED_FILL} == {shapes["01"], shapes["05"]}
    assert set(fills.values()) == {charts.MARKED_FILL, charts.ZERO_FILL}
    words = figure.find("p[@class='map-words']")
    assert [(a.text, a.get("href")) for a in words.iter("a")] == [("Piemonte", "/p/"), ("Veneto", "/v/")]
    assert [link.get("aria-label") for link in links(figure)] == ["Piemonte", "Veneto"]


# --- Bar chart ------------------------------------------------------------------------------------


def test_the_bar_chart_is_a_table_with_the_figures_given():
    rows = [("2023", 40, "/projects/?year=2023"), {"label": "2024", "count": 10, "url": None}, ("2025", 0, None)]
    table = tree(render("{% bar_chart rows caption='Projects per year' %}", rows=rows))
    assert table.tag == "table" and table.find("caption").text == "Projects per year"
    body = table.find("tbody")
    assert ["".join(row.find("th").itertext()) for row in body] == ["2023", "2024", "2025"]
    assert [row.find(".//span[@class='bar-count']").text for row in body] == ["40", "10", "0"]
    assert [a.get("href") for a in body.iter("a")] == ["/projects/?year=2023"]
    assert all(th.get("scope") == "col" for th in table.find("thead").iter("th"))


def test_the_bars_are_as_long_as_their_counts():
    table = tree(render("{% bar_chart rows caption='c' %}", rows=[("a", 40, None), ("b", 10, None), ("c", 0, None)]))
    widths = [svg.get("width") for svg in table.iter("svg")]
    assert len(widths) == 2  # none drawn for zero
    first, second = (float(width.rstrip("%")) for width in widths)
    assert first == pytest.approx(4 * second)


def test_the_bar_chart_of_nothing_is_nothing():
    assert render("{% bar_chart rows caption='c' %}", rows=[]).strip() == ""


# --- Period bar -----------------------------------------------------------------------------------


@dataclass
class Card:
    start: dt.date | None
    end: dt.date | None


def rect_spans(svg: ET.Element) -> list[tuple[float, float]]:
    return [
        (float(rect.get("x")), float(rect.get("x")) + float(rect.get("width")))
        for rect in svg.iter("rect")
        if rect.get("class") == "span"
    ]


def test_the_period_bar_is_nothing_without_a_start_or_an_end():
    assert render("{% period_bar card %}", card=Card(None, None)) == ""


def test_the_period_bar_is_hidden_from_screen_readers_and_shows_its_axis_years():
    bar = tree(render("{% period_bar card %}", card=Card(dt.date(2018, 1, 1), dt.date(2019, 12, 31))))
    assert bar.get("aria-hidden") == "true"
    assert [span.text for span in bar.iter("span")] == [str(charts.CARD_FIRST_YEAR), str(charts.CARD_LAST_YEAR)]
    [(x0, x1)] = rect_spans(bar.find("svg"))
    axis = charts.card_axis(None, None)
    assert x0 == pytest.approx(axis.year_position(2018) * 100, abs=0.01)
    assert x1 == pytest.approx(axis.year_position(2020) * 100, abs=0.01)


def test_the_period_bar_of_an_open_end_fades_to_the_axis_end():
    bar = tree(render("{% period_bar card %}", card=Card(dt.date(2020, 1, 1), None)))
    rects = [rect for rect in bar.find("svg").iter("rect") if rect.get("class") == "span"]
    spans = rect_spans(bar.find("svg"))
    assert spans[-1][1] >= 100
    opacities = [float(rect.get("fill-opacity", 1)) for rect in rects]
    assert opacities == sorted(opacities, reverse=True) and opacities[-1] < opacities[0]


def test_the_period_bar_marks_the_day_it_is_given_today_by_default_and_none_beyond_its_axis():
    card = Card(dt.date(2018, 1, 1), dt.date(2019, 12, 31))

    def mark(day=None) -> list[float]:
        bar = tree(render("{% period_bar card day %}" if day else "{% period_bar card %}", card=card, day=day))
        return [float(rect.get("x")) for rect in bar.iter("rect") if rect.get("class") == "today"]

    axis = charts.card_axis(card.start, card.end)
    [early], [late] = mark(dt.date(2016, 7, 1)), mark(dt.date(2025, 7, 1))
    assert early == pytest.approx(axis.position(dt.date(2016, 7, 1)) * 100 - 0.2, abs=0.01) and early < late
    assert mark() == mark(timezone.localdate())
    assert mark(dt.date(axis.last + 5, 1, 1)) == []


def test_the_period_bar_widens_its_axis_for_a_project_outside_it():
    bar = tree(render("{% period_bar card %}", card=Card(dt.date(2010, 5, 1), dt.date(2012, 4, 30))))
    assert [span.text for span in bar.iter("span")] == ["2010", str(charts.CARD_LAST_YEAR)]


# --- Timeline -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_timeline_writes_the_bounds_at_the_sources_precision():
    project = make_project(period="Maggio 2024 - Dicembre 2025")
    with translation.override("it"):
        html = Template("{% load pictures %}{% timeline project %}").render(Context({"project": project}))
    svg = tree(html).find("svg")
    bounds = [text.text for text in svg.iter("text") if "bound" in text.get("class")]
    assert bounds == ["maggio 2024", "dicembre 2025"]
    assert svg.get("role") == "img" and svg.get("aria-label") == "Periodo: da maggio 2024 a dicembre 2025"


@pytest.mark.django_db
def test_the_timeline_marks_today_and_labels_the_years():
    project = make_project(period="2019 - 2020")
    figure = tree(render("{% timeline project %}", project=project))
    years = [int(text.text) for text in figure.iter("text") if text.get("class") == "year"]
    assert years[0] <= 2018 and years[-1] >= dt.date.today().year - 1
    assert [line for line in figure.iter("line") if line.get("class") == "today"]
    assert "today" in figure.find("figcaption").text


@pytest.mark.django_db
def test_the_timeline_of_an_open_end_says_so():
    project = make_project(period="Marzo 2023")
    svg = tree(render("{% timeline project %}", project=project)).find("svg")
    assert [text.text for text in svg.iter("text") if "bound" in text.get("class")] == [
        "March 2023",
        "end not stated",
    ]
    assert rect_spans(svg)[-1][1] == pytest.approx(350, abs=0.1)


@pytest.mark.django_db
def test_the_timeline_is_nothing_without_a_period():
    assert render("{% timeline project %}", project=make_project()).strip() == ""


# --- The project's page ---------------------------------------------------------------------------


def figure_of(html: str, css: str) -> ET.Element:
    match = re.search(rf'<figure class="picture {css}.*?</figure>', html, re.S)
    assert match, f"no {css} figure"
    return tree(match.group(0))


@pytest.mark.django_db
def test_the_project_page_marks_the_regions_of_its_territory(client):
    territory = make_territory(municipalities=[municipality("Asti", "AT"), municipality("Padova", "PD")])
    project = make_project(territories=[territory], period="2024 - 2026")
    html = content(client.get(f"/projects/{project.slug}/"))  # English there (tests/conftest.py)
    figure = figure_of(html, "regions-map")
    marked = {path.get("d") for path in figure.find("svg").iter("path") if path.get("fill") == charts.MARKED_FILL}
    shapes = italy.shapes().paths
    codes = {place.region_code for place in (municipality("Asti", "AT"), municipality("Padova", "PD"))}
    assert marked == {shapes[code] for code in codes}
    words = figure.find("p[@class='map-words']")
    assert [a.text for a in words.iter("a")] == ["Piemonte", "Veneto"]
    assert {a.get("href") for a in words.iter("a")} == {f"/projects/?region={code}" for code in codes}
    assert "@svg-maps/italy, CC BY 4.0" in text_of(html)
    assert figure_of(html, "timeline") is not None


@pytest.mark.django_db
def test_a_project_with_no_territory_and_no_period_shows_no_picture(client):
    project = make_project()
    html = content(client.get(f"/projects/{project.slug}/"))
    assert "regions-map" not in html and 'class="picture timeline"' not in html


@pytest.mark.django_db
def test_the_project_list_draws_a_period_bar_on_each_card_with_a_period(client):
    dated = make_project(period="2020 - 2022")
    html = content(client.get("/projects/", {"q": dated.title}))
    card = re.search(rf'<article class="card">(?:(?!</article>).)*{re.escape(dated.slug)}.*?</article>', html, re.S)
    assert card and 'class="period-bar"' in card.group(0)
