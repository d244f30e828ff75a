"""The ego network picture: its geometry (partners/ego_layout.py) and its SVG on the organisation's page."""

import re
from html import unescape

import pytest
from django.test import Client

from partners import ego_layout, network
from tests.factories import make_partner, make_project
from tests.pages import content

# --- geometry ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Caritas",
        "Comune di Reggio Emilia",
        "Associazione per gli Studi Giuridici sull'Immigrazione",
        "Confcooperative provincia di Brescia",
        "ANCI Emilia-Romagna – Associazione regionale dei Comuni",
        "Organizzazione Internazionale per le Migrazioni",
    ],
)
def test_a_label_reads_as_the_start_of_the_name_in_whole_words(name):
    lines = ego_layout.label_lines(name)
    shown = "".join(lines).removesuffix("…")
    assert len(lines) <= ego_layout.LABEL_LINES
    assert all(len(line.strip()) <= ego_layout.LONGEST_WORD for line in lines)
    assert name.startswith(shown) and (shown == name or name[len(shown)] == " ")


def test_a_label_shows_that_it_was_cut():
    name = "Associazione per gli Studi Giuridici sull'Immigrazione"
    assert ego_layout.label_lines(name)[-1].endswith("…")
    assert ego_layout.label_lines("Comune di Asti") == ["Comune di Asti"]


def test_a_word_longer_than_any_line_is_cut_inside():
    [line] = ego_layout.label_lines("A" * 40)
    assert line == "A" * (ego_layout.LONGEST_WORD - 1) + "…"


def test_each_collaborator_has_a_node_inside_the_picture():
    items = [(f"Organizzazione numero {index}", 13 - index) for index in range(12)]
    nodes = ego_layout.ego_layout(items)
    assert len(nodes) == 12 and len({(node.x, node.y) for node in nodes}) == 12
    assert all(
        node.radius <= node.x <= ego_layout.WIDTH - node.radius
        and node.radius <= node.y <= ego_layout.HEIGHT - node.radius
        for node in nodes
    )


def test_labels_run_outwards_from_the_ring():
    nodes = ego_layout.ego_layout([(f"Nome {index}", 1) for index in range(12)])
    centre_x = ego_layout.CENTRE[0]
    assert {node.label.anchor for node in nodes if node.x > centre_x + 10} == {"start"}
    assert {node.label.anchor for node in nodes if node.x < centre_x - 10} == {"end"}
    assert [node.label.y < node.y for node in nodes if node.label.anchor == "middle"] == [True, False]


def test_more_shared_projects_make_a_larger_node_and_a_thicker_line():
    most, some, fewest = ego_layout.ego_layout([("A", 9), ("B", 4), ("C", 1)])
    assert most.radius > some.radius > fewest.radius
    assert most.line_width > some.line_width > fewest.line_width
    assert (most.radius, fewest.radius) == (ego_layout.NODE_RADIUS[1], ego_layout.NODE_RADIUS[0])


def test_as_many_shared_projects_make_nodes_of_one_size():
    nodes = ego_layout.ego_layout([("A", 3), ("B", 3)])
    assert nodes[0].radius == nodes[1].radius and nodes[0].line_width == nodes[1].line_width


def test_nobody_to_draw_makes_no_nodes():
    assert ego_layout.ego_layout([]) == []


# --- on the organisation's page ----------------------------------------------------------------


def picture_of(client, partner) -> str:
    response = client.get(f"/partners/{partner.slug}/")
    assert response.status_code == 200
    found = re.search(r"<figure class=\"network\">.*?</figure>", content(response), re.S)
    return found.group(0) if found else ""


def node_links(picture: str) -> list[tuple[str, str]]:
    return [
        (href, unescape(label)) for href, label in re.findall(r'<a href="([^"]+)"[^>]*aria-label="([^"]+)"', picture)
    ]


@pytest.mark.django_db
def test_the_picture_links_each_shown_collaborator_with_its_name_and_count(client, monkeypatch):
    monkeypatch.setattr(network, "PICTURED", 3)
    centre = make_partner()
    others = [make_partner() for _ in range(4)]
    for times, other in enumerate(others, start=1):
        for _ in range(times):
            make_project(lead=centre, partners=[other])
    links = node_links(picture_of(client, centre))
    assert links == [
        (other.get_absolute_url(), f"{other.name}: {times} shared projects")
        for times, other in ((4, others[3]), (3, others[2]), (2, others[1]))
    ]


@pytest.mark.django_db
def test_the_picture_names_its_nodes_in_italian_by_default():
    centre, other = make_partner(), make_partner()
    make_project(lead=centre, partners=[other])
    assert node_links(picture_of(Client(), centre)) == [
        (other.get_absolute_url(), f"{other.name}: 1 progetto in comune")
    ]


@pytest.mark.django_db
def test_the_picture_has_a_caption_and_no_style_attributes(client):
    centre, other = make_partner(), make_partner()
    make_project(lead=centre, partners=[other])
    picture = picture_of(client, centre)
    assert "<figcaption>" in picture and centre.name in picture
    assert 'viewBox="0 0 400 400"' in picture and 'width="100%"' in picture
    assert "style=" not in picture and "<style" not in picture


@pytest.mark.django_db
def test_the_picture_writes_its_coordinates_with_a_point_in_italian_too():
    centre, other = make_partner(), make_partner()
    make_project(lead=centre, partners=[other])
    picture = picture_of(Client(), centre)
    numbers = re.findall(r'\b(?:cx|cy|r|x|y|x1|y1|x2|y2|stroke-width)="([^"]*)"', picture)
    assert numbers and all(re.fullmatch(r"-?\d+(\.\d+)?", number) for number in numbers)


@pytest.mark.django_db
def test_an_organisation_without_collaborators_has_no_picture(client):
    alone = make_partner()
    make_project(lead=alone)
    response = client.get(f"/partners/{alone.slug}/")
    assert response.status_code == 200 and "<svg" not in content(response)
    assert 'class="collaborators"' not in content(response)
