"""projects/places.py: official municipalities from names as people write them."""

import pytest
from django.utils import translation

from projects.models import Municipality
from projects.names import fold_name
from projects.places import MunicipalityIndex, MunicipalityNotFound, is_istat_code, split_province


@pytest.fixture(scope="module")
def index(django_db_setup, django_db_blocker):
    """ISTAT's whole list, as the seed loader builds it."""
    with django_db_blocker.unblock():
        return Municipality.objects.index()


def code_of(name: str, province: str) -> str:
    return Municipality.objects.get(name=name, province_code=province).istat_code


# --- fold_name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["Chiusano d'Asti", "CHIUSANO D'ASTI", "Chiusano d’Asti", "Chiusano d Asti", "  chiusano   d'asti "]
)
def test_fold_name_makes_the_ways_of_writing_a_name_equal(written):
    assert fold_name(written) == "chiusano d asti"


def test_fold_name_drops_accents():
    assert fold_name("Cefalù") == fold_name("Cefalu") == "cefalu"


def test_fold_name_treats_hyphens_as_spaces():
    assert fold_name("Forlì-Cesena") == "forli cesena"


def test_fold_name_keeps_different_names_different():
    assert fold_name("Maretto") != fold_name("Mareto")


# --- split_province and is_istat_code --------------------------------------------------------


def test_split_province_reads_the_province_in_brackets():
    assert split_province("Samone (to)") == ("Samone", "TO")


def test_split_province_gives_no_province_when_there_is_none():
    assert split_province("Samone") == ("Samone", None)


@pytest.mark.parametrize("text, expected", [("005062", True), (" 005062 ", True), ("5062", False), ("00506a", False)])
def test_is_istat_code_recognises_six_digits(text, expected):
    assert is_istat_code(text) is expected


# --- resolving names against ISTAT's list ----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("written", ["Chiusano d'Asti", "chiusano d asti", "CHIUSANO D’ASTI", "Chiusano d Asti"])
def test_resolve_finds_a_name_whatever_its_case_accents_and_apostrophes(index, written):
    assert index.resolve(written) == code_of("Chiusano d'Asti", "AT")


@pytest.mark.django_db
def test_resolve_finds_an_accented_name_written_without_its_accent(index):
    assert index.resolve("Cefalu") == code_of("Cefalù", "PA")


@pytest.mark.django_db
def test_resolve_uses_the_province_in_brackets_to_choose_between_namesakes(index):
    assert index.resolve("Samone (TO)") == code_of("Samone", "TO")


@pytest.mark.django_db
def test_resolve_finds_the_other_namesake_with_its_own_province(index):
    assert index.resolve("Samone (TN)") == code_of("Samone", "TN")


def test_resolve_refuses_a_name_shared_by_two_municipalities_and_names_both(index):
    with pytest.raises(MunicipalityNotFound) as error:
        index.resolve("Samone")
    assert error.value.ambiguous
    assert sorted(error.value.suggestions) == ["Samone (TN)", "Samone (TO)"]


def test_ambiguous_name_error_asks_for_the_province(index):
    with pytest.raises(MunicipalityNotFound, match="add the province"):
        index.resolve("Samone")


@pytest.mark.django_db
def test_resolve_accepts_an_istat_code(index):
    code = code_of("Maretto", "AT")
    assert index.resolve(code) == code


def test_resolve_refuses_an_istat_code_that_does_not_exist(index):
    with pytest.raises(MunicipalityNotFound):
        index.resolve("999999")


def test_resolve_refuses_a_name_with_the_wrong_province(index):
    with pytest.raises(MunicipalityNotFound):
        index.resolve("Maretto (CN)")


def test_misspelt_mareto_is_not_resolved_but_maretto_is_suggested(index):
    with pytest.raises(MunicipalityNotFound) as error:
        index.resolve("Mareto")
    assert not error.value.ambiguous
    assert "Maretto (AT)" in error.value.suggestions


def test_not_found_message_offers_the_suggestion(index):
    with pytest.raises(MunicipalityNotFound, match=r"did you mean .*Maretto \(AT\)"):
        index.resolve("Mareto")


def test_shortened_vigliano_suggests_vigliano_biellese(index):
    with pytest.raises(MunicipalityNotFound) as error:
        index.resolve("Vigliano")
    assert "Vigliano Biellese (BI)" in error.value.suggestions


def test_suggestions_are_limited_to_the_province_given(index):
    with pytest.raises(MunicipalityNotFound) as error:
        index.resolve("Vigliano (AT)")
    assert error.value.suggestions == ["Vigliano d'Asti (AT)"]


def test_a_name_nothing_resembles_gets_no_suggestion(index):
    with pytest.raises(MunicipalityNotFound) as error:
        index.resolve("Xqzwv")
    assert error.value.suggestions == []


def test_index_built_from_rows_needs_no_database():
    index = MunicipalityIndex([("000001", "Borgo Alto", "XX"), ("000002", "Borgo Basso", "XX")])
    assert (len(index), index.resolve("borgo alto"), index.resolve("BORGO-BASSO")) == (2, "000001", "000002")


@pytest.mark.django_db
def test_index_from_the_database_holds_every_municipality(index):
    assert len(index) == Municipality.objects.count()


@pytest.mark.django_db
def test_municipality_keeps_its_folded_name_when_saved():
    municipality = Municipality.objects.get(name="Chiusano d'Asti")
    municipality.matching_name = "stale"
    municipality.save()
    municipality.refresh_from_db()
    assert municipality.matching_name == "chiusano d asti"


def test_not_found_message_is_in_the_active_language(index):
    with translation.override("it"), pytest.raises(MunicipalityNotFound) as error:
        index.resolve("Mareto")
    assert str(error.value).startswith("«Mareto» non è un comune ufficiale; forse intendevi Maretto (AT)")


def test_an_ambiguous_name_asks_for_the_province_in_the_active_language(index):
    with translation.override("it"), pytest.raises(MunicipalityNotFound) as error:
        index.resolve("Samone")
    message = str(error.value)
    assert message.startswith("«Samone» corrisponde a più di un comune: aggiungi la provincia, come in Samone (")
    assert "Samone (TO)" in message and "Samone (TN)" in message
