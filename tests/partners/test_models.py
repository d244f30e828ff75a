"""partners/models.py: one row per organisation; LeadPartner is the same rows seen in their lead role."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from partners.models import LeadPartner, Partner
from tests.factories import MARKER, make_partner, make_project

pytestmark = pytest.mark.django_db


def test_lead_partners_are_the_organisations_leading_at_least_one_project():
    lead, partner, supporter = make_partner(), make_partner(), make_partner()
    make_partner()  # one that takes part in nothing
    make_project(lead=lead, partners=[partner], supporting=[supporter])
    mine = {p.name for p in LeadPartner.objects.filter(name__startswith=MARKER)}
    assert mine == {lead.name}


def test_lead_partner_is_the_same_row_as_the_partner():
    partner = make_partner()
    make_project(lead=partner)
    lead = LeadPartner.objects.get(pk=partner.pk)
    assert (lead.pk, lead.name, lead._meta.db_table) == (partner.pk, partner.name, Partner._meta.db_table)


def test_editing_a_lead_partner_edits_the_partner():
    partner = make_partner()
    make_project(lead=partner)
    lead = LeadPartner.objects.get(pk=partner.pk)
    lead.city = "Asti"
    lead.save()
    partner.refresh_from_db()
    assert partner.city == "Asti"


def test_an_organisation_leading_two_projects_is_one_lead_partner():
    partner = make_partner()
    make_project(lead=partner)
    make_project(lead=partner)
    assert LeadPartner.objects.filter(pk=partner.pk).count() == 1


def test_lead_partners_of_the_seed_data_are_listed_once_each():
    pks = list(LeadPartner.objects.values_list("pk", flat=True))
    assert len(pks) == len(set(pks)) == Partner.objects.filter(participations__role="lead").distinct().count() > 0


def test_partner_search_matches_name_and_other_names():
    partner = make_partner(name=f"{MARKER} Centro Immigrazione Asilo", other_names="CIAC-FX")
    assert (
        list(Partner.objects.search("ciac-fx")),
        list(Partner.objects.search("immigrazione asilo").filter(pk=partner.pk)),
    ) == ([partner], [partner])


def test_other_names_are_read_one_per_line():
    assert Partner(other_names="CIAC\n\n  Centro Immigrazione  \n").other_names_list == ["CIAC", "Centro Immigrazione"]


def test_full_clean_writes_the_country_in_capitals():
    partner = Partner(name=f"{MARKER} x", slug="fx-x", country="fr")
    partner.full_clean()
    assert partner.country == "FR"


def test_full_clean_refuses_a_country_that_is_not_two_letters():
    with pytest.raises(ValidationError) as error:
        Partner(name=f"{MARKER} x", slug="fx-x", country="F1").full_clean()
    assert "country" in error.value.message_dict


def test_full_clean_refuses_sources_without_a_title():
    with pytest.raises(ValidationError) as error:
        Partner(name=f"{MARKER} x", slug="fx-x", sources=[{"url": "https://example.org"}]).full_clean()
    assert "sources" in error.value.message_dict


def test_full_clean_refuses_a_source_with_an_unreadable_accessed_date():
    with pytest.raises(ValidationError):
        Partner(
            name=f"{MARKER} x", slug="fx-x", sources=[{"title": "t", "document": "d", "accessed": "ieri"}]
        ).full_clean()


def test_the_partner_url_is_its_page():
    with translation.override("it"):  # the registry's own language, at the plain address
        assert Partner(slug="comune-di-asti").get_absolute_url() == "/partners/comune-di-asti/"
