"""Projects shared by the tests of what reads projects without model instances (exports, cards), and an editor."""

import pytest
from django.contrib.auth.models import Group, User

from tests.factories import (
    MARKER,
    make_full_project,
    make_funder,
    make_partner,
    make_programme,
    make_project,
    make_territory,
    municipality,
    word,
)


@pytest.fixture
def editor(db):
    """A member of the Editors group, who may import and export."""
    user = User.objects.create_user("redattrice", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


INFERRED_FUNDERS = "Nessuna fonte nomina chi finanzia il Fondo;\nil registro indica la Commissione."
NOTE = "La scheda nomina solo l'area;\nil registro prende la provincia per intero."


@pytest.fixture
def full_project():
    lead, first, second, supporter, member = (
        make_partner(name=f"{MARKER} {label} {word()}")
        for label in ("Capofila", "Uno", "Due", "Sostenitore", "Membro")
    )
    funder = make_funder()
    # The programme's funders come from the programme above it, where the registry names them without a source.
    commission = make_funder(name=f"{MARKER} Commissione {word()}")
    fund = make_programme(
        name=f"{MARKER} Fondo {word()}", funders=[commission, funder], funders_inferred_because=INFERRED_FUNDERS
    )
    programme = make_programme(name=f"{MARKER} Programma {word()}", parent=fund)
    territories = [
        make_territory(
            name=f"{MARKER} A {word()}",
            municipalities=[municipality("Biella", "BI"), municipality("Asti", "AT")],
            basis="inferred",
            note=NOTE,
        ),
        make_territory(name=f"{MARKER} B {word()}", municipalities=[municipality("Asti", "AT")]),
    ]
    return make_full_project(
        title=f"{MARKER} Export {word()}",
        acronym="FXE",
        code="PROG-0001",
        cup="E12F34000560009",
        summary="Sintesi.",
        period="Maggio 2024 - 2026",
        duration_months=30,
        lead=lead,
        partners=[first, second],
        supporting=[supporter],
        funders=[funder],
        programmes=[programme],
        territories=territories,
        themes=["mediation", "housing"],
        target_groups=["refugees", "asylum_seekers"],
        countries=["IT", "FR"],
        website="https://example.org/fx",
        sources=[
            {"title": "Pagina", "url": "https://example.org/fx/pagina", "accessed": "2026-01-31"},
            {"title": "Documento", "document": "sources/fx.txt"},
        ],
        kind="network",
        application_year=2019,
        general_objective="Favorire l'inclusione abitativa.",
        specific_objectives="Primo obiettivo;\nSecondo: casa; lavoro",
        activities="Fase 1) accoglienza\nFase 2) inserimento lavorativo",
        beneficiaries="Famiglie con minori; giovani del quartiere",
        people_reached="120-140 utenti per anno",
        members=[member],
        target_groups_indirect=["local_community"],
        units={first: "Assessorato alla Casa e Inclusione Sociale"},
        inferred={member: "Il post la nomina con un hashtag."},
        related=[make_project(slug=f"zz-{word()}"), make_project(slug=f"aa-{word()}"), make_project(published=False)],
    )


@pytest.fixture
def varied_projects(full_project):
    """Projects unlike each other: no links at all, only an end, shared and empty territories, a lead
    with no partners, supporting bodies only, formula-like names, a draft."""
    asti, biella = municipality("Asti", "AT"), municipality("Biella", "BI")
    shared = make_territory(municipalities=[asti, biella])
    return [
        full_project,
        make_project(),
        make_project(period="fino a dicembre 2025", territories=[shared, make_territory()]),
        make_project(
            period="2019",
            lead=make_partner(name=f"=SUM(A1) {word()}"),
            territories=[shared, make_territory(municipalities=[asti])],
            themes=["health"],
            countries=["DE"],
        ),
        # Created in the reverse of name order, so that the order of the rows is not the order of the names.
        make_project(
            supporting=[make_partner(), make_partner()],
            funders=[make_funder(name=f"{MARKER} {name} {word()}") for name in ("Zeta", "Alfa")],
            programmes=[make_programme(name=f"{MARKER} {name} {word()}") for name in ("Zeta", "Alfa")],
            territories=[make_territory(name=f"{MARKER} {name} {word()}") for name in ("Zeta", "Alfa")],
        ),
        make_project(published=False, lead=make_partner(), territories=[shared]),
        *(make_full_project(territories=[shared]) for _ in range(4)),
    ]
