"""projects/periods.py: periods as people write them in Italian, kept at their precision."""

import datetime as dt

import pytest
from django.utils import translation

from projects import periods
from projects.periods import (
    Bound,
    Period,
    PeriodError,
    Precision,
    bound_from_iso,
    parse_bound,
    parse_period,
)

D = dt.date
YEAR, MONTH, DAY = Precision.YEAR, Precision.MONTH, Precision.DAY


# --- the formats of the seed documents ---------------------------------------------------------


@pytest.mark.parametrize(
    "text, start, end, duration",
    [
        ("2024 - 2027", Bound(D(2024, 1, 1), YEAR), Bound(D(2027, 12, 31), YEAR), None),
        ("Maggio 2024 - Dicembre 2025", Bound(D(2024, 5, 1), MONTH), Bound(D(2025, 12, 31), MONTH), None),
        ("2022 – febbraio 2023", Bound(D(2022, 1, 1), YEAR), Bound(D(2023, 2, 28), MONTH), None),
        ("febbraio 2024 - luglio 2025", Bound(D(2024, 2, 1), MONTH), Bound(D(2025, 7, 31), MONTH), None),
        ("ottobre 2018 – marzo 2020", Bound(D(2018, 10, 1), MONTH), Bound(D(2020, 3, 31), MONTH), None),
        ("Dicembre 2023 – Dicembre 2025", Bound(D(2023, 12, 1), MONTH), Bound(D(2025, 12, 31), MONTH), None),
        ("Marzo 2024 – Dicembre 2025", Bound(D(2024, 3, 1), MONTH), Bound(D(2025, 12, 31), MONTH), None),
        ("36 mesi (2025 – 2028)", Bound(D(2025, 1, 1), YEAR), Bound(D(2028, 12, 31), YEAR), 36),
        ("01/03/2024 - 31/12/2025", Bound(D(2024, 3, 1), DAY), Bound(D(2025, 12, 31), DAY), None),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_parse_period_reads_each_format_of_the_seed_documents(text, start, end, duration):
    assert parse_period(text) == Period(start=start, end=end, duration_months=duration)


@pytest.mark.parametrize("dash", ["-", "\u2010", "\u2012", "\u2013", "\u2014", "\u2212"])
def test_parse_period_reads_any_dash_between_the_dates(dash):
    period = parse_period(f"maggio 2024 {dash} dicembre 2025")
    assert (period.start, period.end) == (Bound(D(2024, 5, 1), MONTH), Bound(D(2025, 12, 31), MONTH))


@pytest.mark.parametrize(
    "text", ["MAGGIO 2024 - DICEMBRE 2025", "Maggio 2024 - dicembre 2025", "maggio 2024 - Dicembre 2025"]
)
def test_parse_period_ignores_capitals_in_month_names(text):
    assert parse_period(text) == parse_period("maggio 2024 - dicembre 2025")


def test_parse_period_reads_dates_written_without_spaces_around_the_dash():
    assert parse_period("2024-2027") == parse_period("2024 - 2027")


def test_parse_period_reads_dal_al_wording():
    period = parse_period("dal 01/03/2024 al 31/12/2025")
    assert (period.start, period.end) == (Bound(D(2024, 3, 1), DAY), Bound(D(2025, 12, 31), DAY))


def test_parse_period_reads_abbreviated_month_names():
    assert parse_period("mag. 2024 - dic. 2025") == parse_period("maggio 2024 - dicembre 2025")


def test_parse_period_reads_a_duration_alone():
    assert parse_period("26 mesi") == Period(duration_months=26)


def test_parse_period_reads_a_start_alone_as_an_open_period():
    assert parse_period("dal 2024") == Period(start=Bound(D(2024, 1, 1), YEAR))


# --- precision: a start is the first day it can mean, an end the last ------------------------


def test_month_end_of_february_is_the_28th_in_a_common_year():
    assert parse_period("gennaio 2023 - febbraio 2023").end.date == D(2023, 2, 28)


def test_month_end_of_february_is_the_29th_in_a_leap_year():
    assert parse_period("gennaio 2024 - febbraio 2024").end.date == D(2024, 2, 29)


def test_month_end_of_february_2100_is_the_28th_because_2100_is_not_a_leap_year():
    assert parse_period("febbraio 2100 - febbraio 2100").end.date == D(2100, 2, 28)


@pytest.mark.parametrize(
    "month, last_day", [("aprile", 30), ("giugno", 30), ("settembre", 30), ("novembre", 30), ("luglio", 31)]
)
def test_month_end_is_the_last_day_of_that_month(month, last_day):
    assert parse_period(f"gennaio 2025 - {month} 2025").end.date.day == last_day


def test_month_start_is_the_first_day_of_the_month():
    assert parse_period("luglio 2025 - agosto 2025").start.date == D(2025, 7, 1)


def test_year_start_is_the_first_of_january_and_year_end_the_thirty_first_of_december():
    period = parse_period("2019 - 2021")
    assert (period.start.date, period.end.date) == (D(2019, 1, 1), D(2021, 12, 31))


def test_mixed_precisions_are_kept_bound_by_bound():
    period = parse_period("15 marzo 2024 - 2025")
    assert (period.start.precision, period.end.precision) == (DAY, YEAR)


def test_parse_bound_reads_an_end_as_the_last_day_it_can_mean():
    assert parse_bound("maggio 2024", as_end=True) == Bound(D(2024, 5, 31), MONTH)


def test_parse_bound_reads_a_start_as_the_first_day_it_can_mean():
    assert parse_bound("2024") == Bound(D(2024, 1, 1), YEAR)


# --- ISO at precision ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bound, iso",
    [
        (Bound(D(2024, 12, 31), YEAR), "2024"),
        (Bound(D(2024, 5, 31), MONTH), "2024-05"),
        (Bound(D(2024, 5, 1), DAY), "2024-05-01"),
    ],
)
def test_iso_writes_the_bound_at_its_precision(bound, iso):
    assert bound.iso() == iso


@pytest.mark.parametrize("iso", ["2024", "2024-05", "2024-05-01"])
def test_bound_from_iso_reads_back_what_iso_writes(iso):
    assert bound_from_iso(iso).iso() == iso


def test_bound_from_iso_reads_a_month_end_as_its_last_day():
    assert bound_from_iso("2024-02", as_end=True) == Bound(D(2024, 2, 29), MONTH)


@pytest.mark.parametrize("text", ["maggio 2024", "2024/05", "20240501", "2024-5"])
def test_bound_from_iso_refuses_anything_but_iso(text):
    with pytest.raises(PeriodError):
        bound_from_iso(text)


# --- labels ----------------------------------------------------------------------------------


def test_label_writes_the_period_in_italian_at_its_precision():
    assert parse_period("01/03/2024 - Dicembre 2025").label() == "1 marzo 2024 – dicembre 2025"


def test_label_puts_the_dates_first_and_the_duration_after_them():
    assert parse_period("36 mesi (2025 – 2028)").label() == "2025 – 2028 (36 mesi)"


@pytest.mark.parametrize(
    "text, label",
    [
        ("Maggio 2024 - Dicembre 2025", "maggio 2024 – dicembre 2025"),
        ("2024 - 2027", "2024 – 2027"),
        ("ottobre 2018 – marzo 2020", "ottobre 2018 – marzo 2020"),
        ("01/03/2024-31/12/2025", "1 marzo 2024 – 31 dicembre 2025"),
        ("2024-03 - 2025-12", "marzo 2024 – dicembre 2025"),
        ("26 mesi", "26 mesi"),
    ],
)
def test_label_writes_every_way_of_stating_a_period_in_one_style(text, label):
    assert parse_period(text).label() == label


@pytest.mark.parametrize(
    "text, label",
    [("febbraio 2023", "da febbraio 2023"), ("2024", "dal 2024"), ("01/03/2024", "dal 1 marzo 2024")],
)
def test_label_says_a_start_stated_alone_is_a_start(text, label):
    assert parse_period(text).label() == label


@pytest.mark.parametrize(
    "text, label", [("fino a dicembre 2025", "fino a dicembre 2025"), ("entro il 2026", "fino al 2026")]
)
def test_label_says_an_end_stated_alone_is_an_end(text, label):
    assert parse_period(text).label() == label


@pytest.mark.parametrize(
    "text, label",
    [
        ("Maggio 2024 - Dicembre 2025", "May 2024 – December 2025"),
        ("01/03/2024 - 2025", "1 March 2024 – 2025"),
        ("36 mesi (2025 – 2028)", "2025 – 2028 (36 months)"),
        ("1 mese", "1 month"),
        ("febbraio 2023", "from February 2023"),
        ("fino a dicembre 2025", "until December 2025"),
    ],
)
def test_label_in_english_uses_english_words(text, label):
    assert parse_period(text).label("en") == label


def test_label_leaves_the_duration_out_when_asked():
    assert parse_period("36 mesi (2025 – 2028)").label(duration=False) == "2025 – 2028"


def test_label_of_nothing_known_is_empty():
    assert Period().label() == ""


def test_parts_give_each_date_its_iso_form_at_the_source_precision():
    assert parse_period("Maggio 2024 - 31/12/2025").parts() == [
        ("maggio 2024", "2024-05"),
        (" – ", ""),
        ("31 dicembre 2025", "2025-12-31"),
    ]
    assert parse_period("2024").parts("en") == [("from ", ""), ("2024", "2024")]


def test_parts_joined_are_the_label():
    period = parse_period("36 mesi (2025 – 2028)")
    assert "".join(text for text, _ in period.parts("en")) == period.label("en")


def test_label_writes_a_one_month_duration_in_the_singular():
    assert parse_period("1 mese").label() == "1 mese"


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2025 - 2024", "luglio 2025 - febbraio 2024", "31/12/2025 - 01/01/2025", "2024 – febbraio 2023"]
)
def test_end_before_start_is_an_error(text):
    with pytest.raises(PeriodError, match="comes before the start"):
        parse_period(text)


@pytest.mark.parametrize("text", ["boh", "da definire", "Samadhi (2022 – febbraio 2023)", "primavera 2024"])
def test_unreadable_text_is_an_error(text):
    with pytest.raises(PeriodError, match="is not a period"):
        parse_period(text)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_an_error(text):
    with pytest.raises(PeriodError, match="empty"):
        parse_period(text)


@pytest.mark.parametrize(
    "text", ["31/02/2024 - 2025", "29/02/2023 - 2024", "31 aprile 2024 - 2025", "2024-02-30 - 2025"]
)
def test_impossible_day_is_an_error(text):
    with pytest.raises(PeriodError, match="not a calendar date"):
        parse_period(text)


@pytest.mark.parametrize("text", ["13/2024 - 2025", "2024-13 - 2025", "2024-00 - 2025"])
def test_impossible_month_is_an_error(text):
    with pytest.raises(PeriodError, match="has no month"):
        parse_period(text)


def test_implausible_year_is_an_error():
    with pytest.raises(PeriodError, match="plausible year"):
        parse_period("1800 - 2024")


def test_more_than_two_dates_is_an_error():
    with pytest.raises(PeriodError, match="more than two dates"):
        parse_period("2024 – 2025 – 2026")


def test_zero_months_is_an_error():
    with pytest.raises(PeriodError):
        parse_period("0 mesi")


def test_parse_bound_refuses_text_that_is_not_one_date():
    with pytest.raises(PeriodError, match="is not a date"):
        parse_bound("maggio - giugno 2024")


def test_a_date_after_fino_a_is_the_end_of_the_period():
    period = parse_period("fino a dicembre 2025")
    assert (period.start, period.end) == (None, Bound(D(2025, 12, 31), MONTH))


# --- stored form ---------------------------------------------------------------------------------


def test_a_period_becomes_the_four_fields_that_store_it():
    assert periods.period_fields(parse_period("Maggio 2024 - 2025")) == {
        "start": dt.date(2024, 5, 1),
        "start_precision": "month",
        "end": dt.date(2025, 12, 31),
        "end_precision": "year",
    }


def test_a_bound_not_stated_is_stored_as_empty_fields():
    fields = periods.period_fields(parse_period("fino a dicembre 2025"))

    assert (fields["start"], fields["start_precision"]) == (None, "")
    assert periods.stored_bound(fields["start"], fields["start_precision"]) is None


@pytest.mark.parametrize("text", ["2024", "maggio 2024", "01/03/2024"])
def test_a_bound_read_back_from_its_fields_is_the_bound_stored(text):
    bound = parse_bound(text)
    fields = periods.bound_fields("start", bound)

    assert periods.stored_bound(fields["start"], fields["start_precision"]) == bound


# --- messages in the reader's language ------------------------------------------------------------


def test_messages_are_in_the_active_language():
    with translation.override("it"), pytest.raises(PeriodError) as error:
        parse_period("13/2024 - 2025")
    assert str(error.value) == "«13/2024» non ha il mese 13"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "the end (February 2024) comes before the start (July 2025)"),
        ("it", "la fine (febbraio 2024) precede l'inizio (luglio 2025)"),
    ],
)
def test_the_bounds_of_a_message_are_named_in_its_language(language, message):
    with translation.override(language), pytest.raises(PeriodError) as error:
        parse_period("luglio 2025 - febbraio 2024")
    assert str(error.value) == message
