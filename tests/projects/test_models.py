"""projects/models.py: identifiers, roles, periods and the status that follows from them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects.models import Participation, Programme, Project
from registry.enums import Role, Status
from tests.factories import make_funder, make_partner, make_programme, make_project, unique

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 15)


def unsaved_project(**fields) -> Project:
    title = unique("Project")
    return Project(title=title, slug=title.lower().replace(" ", "-"), **fields)


# --- CUP -------------------------------------------------------------------------------------


def test_a_well_formed_cup_passes_validation():
    unsaved_project(cup="B12C34000560007").full_clean()


@pytest.mark.parametrize(
    "cup", ["I69E1900110000", "I69E190011000023", "169E19001100002", "I6XE19001100002", "I69E1900110000X"]
)
def test_a_malformed_cup_is_refused(cup):
    with pytest.raises(ValidationError) as error:
        unsaved_project(cup=cup).full_clean()
    assert "cup" in error.value.message_dict


def test_the_same_cup_cannot_be_given_to_two_projects():
    make_project(cup="J11B22000330004")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_project(cup="J11B22000330004")


def test_two_projects_without_a_cup_are_allowed():
    first, second = make_project(cup=""), make_project(cup="")
    assert Project.objects.filter(pk__in=[first.pk, second.pk], cup="").count() == 2


def test_full_clean_reports_a_cup_already_in_use():
    make_project(cup="J11B22000330004")
    with pytest.raises(ValidationError):
        unsaved_project(cup="J11B22000330004").full_clean()


def test_a_lower_case_cup_is_normalised_to_capitals():
    project = unsaved_project(cup="k98l76000540003")
    project.full_clean()
    assert project.cup == "K98L76000540003"


# --- roles -----------------------------------------------------------------------------------


def test_a_project_has_at_most_one_lead_partner():
    project = make_project(lead=make_partner())
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(project=project, partner=make_partner(), role=Role.LEAD)


def test_a_project_may_have_no_lead_partner():
    project = make_project(supporting=[make_partner(), make_partner()])
    assert project.lead_partner is None


def test_an_organisation_may_play_two_roles_in_two_projects():
    partner = make_partner()
    led, joined = make_project(lead=partner), make_project(partners=[partner])
    roles = dict(Participation.objects.filter(partner=partner).values_list("project_id", "role"))
    assert roles == {led.pk: Role.LEAD, joined.pk: Role.PARTNER}


def test_the_same_role_cannot_be_recorded_twice_for_one_organisation_in_one_project():
    partner = make_partner()
    project = make_project(partners=[partner])
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(project=project, partner=partner, role=Role.PARTNER)


def test_participations_list_the_lead_first_then_partners_then_supporting_bodies():
    project = make_project()
    supporter, partner, lead = make_partner(), make_partner(), make_partner()
    Participation.objects.create(project=project, partner=supporter, role=Role.SUPPORTING, order=1)
    Participation.objects.create(project=project, partner=partner, role=Role.PARTNER, order=1)
    Participation.objects.create(project=project, partner=lead, role=Role.LEAD, order=1)
    assert [link.partner for link in project.participations_in_order()] == [lead, partner, supporter]


def test_an_organisation_with_projects_cannot_be_deleted():
    partner = make_partner()
    make_project(partners=[partner])
    with pytest.raises(IntegrityError), transaction.atomic():
        partner.delete()


# --- period ----------------------------------------------------------------------------------


def test_full_clean_refuses_an_end_before_the_start():
    project = unsaved_project(
        start=dt.date(2025, 1, 1), start_precision="day", end=dt.date(2024, 1, 1), end_precision="day"
    )
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert "end" in error.value.message_dict


def test_the_database_refuses_an_end_before_the_start():
    project = unsaved_project(
        start=dt.date(2025, 1, 1), start_precision="day", end=dt.date(2024, 1, 1), end_precision="day"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        project.save()


def test_the_database_refuses_a_date_without_its_precision():
    project = unsaved_project(start=dt.date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        project.save()


def test_full_clean_asks_for_the_precision_of_a_date():
    with pytest.raises(ValidationError) as error:
        unsaved_project(end=dt.date(2025, 1, 1)).full_clean()
    assert "end_precision" in error.value.message_dict


def test_a_period_is_stored_as_its_first_and_last_day_with_their_precision_and_the_text():
    project = make_project(period="Maggio 2024 - Dicembre 2025")
    project.refresh_from_db()
    assert (project.start, project.start_precision, project.end, project.end_precision, project.period_text) == (
        dt.date(2024, 5, 1),
        "month",
        dt.date(2025, 12, 31),
        "month",
        "Maggio 2024 - Dicembre 2025",
    )


def test_start_and_end_iso_follow_the_precision():
    project = make_project(period="2022 – febbraio 2023")
    assert (project.start_iso, project.end_iso) == ("2022", "2023-02")


def test_period_label_is_the_text_of_the_source_when_there_is_one():
    assert make_project(period="36 mesi (2025 – 2028)").period_label == "36 mesi (2025 – 2028)"


def test_period_label_is_read_back_from_the_dates_when_there_is_no_text():
    project = make_project(period="Maggio 2024 - Dicembre 2025")
    project.period_text = ""
    assert project.period_label == "maggio 2024 – dicembre 2025"


def test_duration_is_taken_from_the_period_text():
    assert make_project(period="36 mesi (2025 – 2028)").duration_months == 36


@pytest.mark.parametrize(
    "start, end, status",
    [
        (dt.date(2025, 7, 1), None, Status.PLANNED),
        (dt.date(2025, 7, 1), dt.date(2026, 1, 1), Status.PLANNED),
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31), Status.ACTIVE),
        (TODAY, TODAY, Status.ACTIVE),
        (dt.date(2020, 1, 1), None, Status.ACTIVE),
        (dt.date(2020, 1, 1), dt.date(2025, 6, 14), Status.CLOSED),
        (None, None, Status.UNKNOWN),
    ],
)
def test_status_is_derived_from_the_period(start, end, status):
    project = unsaved_project(start=start, end=end)
    assert project.status_on(TODAY) == status


def test_status_changes_with_the_day_it_is_read_on():
    project = unsaved_project(start=dt.date(2024, 5, 1), end=dt.date(2025, 12, 31))
    assert [
        project.status_on(dt.date(2024, 4, 30)),
        project.status_on(dt.date(2025, 12, 31)),
        project.status_on(dt.date(2026, 1, 1)),
    ] == [Status.PLANNED, Status.ACTIVE, Status.CLOSED]


def test_with_status_finds_the_projects_status_on_names():
    planned = make_project(start=dt.date(2025, 7, 1))
    active = make_project(start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    closed = make_project(start=dt.date(2020, 1, 1), end=dt.date(2021, 1, 1))
    unknown = make_project()
    mine = Project.objects.filter(pk__in=[planned.pk, active.pk, closed.pk, unknown.pk])
    assert {status: set(mine.with_status(status, today=TODAY)) for status in Status.values} == {
        Status.PLANNED: {planned},
        Status.ACTIVE: {active},
        Status.CLOSED: {closed},
        Status.UNKNOWN: {unknown},
    }


def test_with_status_agrees_with_status_on_for_a_project_with_only_an_end_date():
    project = make_project(end=dt.date(2025, 12, 31))
    found = [
        status
        for status in Status.values
        if Project.objects.filter(pk=project.pk).with_status(status, today=TODAY).exists()
    ]
    assert found == [project.status_on(TODAY)]


# --- programmes ------------------------------------------------------------------------------


def test_a_programme_cannot_be_part_of_itself_through_its_parents():
    parent = make_programme()
    child = make_programme(parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError) as error:
        parent.full_clean()
    assert "parent" in error.value.message_dict


def test_programme_is_shown_by_its_short_name_when_it_has_one():
    assert (
        str(Programme(name="Fondo Asilo, Migrazione e Integrazione 2021-2027", short_name="FAMI 2021-2027"))
        == "FAMI 2021-2027"
    )


# --- countries -------------------------------------------------------------------------------


def test_full_clean_writes_country_codes_in_capitals():
    project = unsaved_project(countries=["fr", " it "])
    project.full_clean()
    assert project.countries == ["FR", "IT"]


def test_full_clean_refuses_a_country_that_is_not_a_two_letter_code():
    with pytest.raises(ValidationError) as error:
        unsaved_project(countries=["France"]).full_clean()
    assert "countries" in error.value.message_dict


def test_all_funders_lists_the_projects_funders_then_those_of_its_programmes_once_each():

    direct, shared, other = make_funder(), make_funder(), make_funder()
    project = make_project(funders=[direct, shared], programmes=[make_programme(funders=[shared, other])])
    funders = project.all_funders()
    assert (set(funders[:2]), funders[2:]) == ({direct, shared}, [other])
