import datetime as dt

import pytest

from registry import charts
from registry.charts import YearAxis


def test_year_fraction_is_exact_on_the_first_of_january_and_grows_through_the_year():
    assert charts.year_fraction(dt.date(2024, 1, 1)) == 2024
    assert 2024.49 < charts.year_fraction(dt.date(2024, 7, 1)) < 2024.51
    assert charts.year_fraction(dt.date(2024, 12, 31)) < 2025


def test_year_axis_widens_to_hold_every_day_and_ignores_missing_ones():
    axis = charts.year_axis(dt.date(2011, 5, 1), None, dt.date(2031, 1, 1), first=2014, last=2028)
    assert (axis.first, axis.last) == (2011, 2031)


def test_year_axis_keeps_its_years_when_the_days_fall_inside():
    assert charts.year_axis(dt.date(2020, 5, 1), first=2014, last=2028) == YearAxis(2014, 2028)


def test_year_axis_needs_a_day_or_both_years():
    with pytest.raises(ValueError):
        charts.year_axis(None, first=2014)


def test_card_axis_is_the_same_for_every_project_inside_it():
    assert charts.card_axis(dt.date(2016, 1, 1), dt.date(2019, 12, 31)) == charts.card_axis(dt.date(2024, 3, 1), None)
    assert charts.card_axis(None, dt.date(2020, 1, 1)) == YearAxis(charts.CARD_FIRST_YEAR, charts.CARD_LAST_YEAR)


def test_card_axis_widens_for_a_project_outside_it():
    axis = charts.card_axis(dt.date(2009, 3, 1), dt.date(2031, 6, 30))
    assert (axis.first, axis.last) == (2009, 2031)


def test_position_runs_from_the_axis_start_to_the_close_of_its_last_day():
    axis = YearAxis(2020, 2023)
    assert axis.position(dt.date(2020, 1, 1)) == 0
    assert axis.position(dt.date(2022, 1, 1)) == pytest.approx(0.5)
    assert axis.position(dt.date(2023, 12, 31), as_end=True) == 1
    assert axis.position(dt.date(2023, 12, 31)) < 1


def test_position_is_held_inside_the_axis():
    axis = YearAxis(2020, 2023)
    assert axis.position(dt.date(2010, 1, 1)) == 0
    assert axis.position(dt.date(2030, 1, 1)) == 1


def test_period_span_of_a_closed_period():
    axis = YearAxis(2020, 2023)
    span = charts.period_span(dt.date(2021, 1, 1), dt.date(2021, 12, 31), axis)
    assert (span.x0, span.x1) == (pytest.approx(0.25), pytest.approx(0.5))
    assert not span.open_start and not span.open_end


def test_period_span_with_an_open_end_runs_to_the_axis_end():
    span = charts.period_span(dt.date(2022, 1, 1), None, YearAxis(2020, 2023))
    assert span.x0 == pytest.approx(0.5)
    assert span.x1 == 1 and span.open_end and not span.open_start


def test_period_span_with_an_open_start_runs_from_the_axis_start():
    span = charts.period_span(None, dt.date(2021, 12, 31), YearAxis(2020, 2023))
    assert span.x0 == 0 and span.open_start and not span.open_end
    assert span.x1 == pytest.approx(0.5)


def test_period_span_is_none_without_bounds():
    assert charts.period_span(None, None, YearAxis(2020, 2023)) is None


def test_tick_step_keeps_labels_apart():
    for years in range(1, 80):
        step = charts.tick_step(years, 340, 34)
        assert 340 / years * step >= 34
    assert charts.tick_step(10, 340, 34) == 1


def test_count_steps_is_empty_when_nothing_counts():
    assert charts.count_steps(0) == []


def test_count_steps_for_small_counts_are_single_numbers():
    assert charts.count_steps(3) == [(1, 1), (2, 2), (3, 3)]


def test_count_steps_are_round_and_contiguous_and_cover_every_count():
    for maximum in (1, 4, 7, 19, 99, 120, 1000, 1234, 98765):
        ranges = charts.count_steps(maximum)
        assert 1 <= len(ranges) <= len(charts.SEQUENTIAL_PALETTE)
        assert ranges[0][0] == 1 and ranges[-1][1] >= maximum
        assert all(high + 1 == next_low for (_, high), (next_low, _) in zip(ranges, ranges[1:], strict=False))
        assert all(
            charts.step_index(count, ranges) is not None for count in range(1, maximum + 1, max(1, maximum // 97))
        )


def test_count_steps_of_120_go_by_25():
    assert charts.count_steps(120) == [(1, 25), (26, 50), (51, 75), (76, 100), (101, 125)]


def test_zero_gets_the_neutral_fill_and_the_largest_count_the_darkest():
    ranges = charts.count_steps(120)
    fills = charts.step_fills(ranges)
    assert charts.fill_for(0, ranges, fills) == charts.ZERO_FILL
    assert charts.fill_for(120, ranges, fills) == charts.SEQUENTIAL_PALETTE[-1]
    assert charts.fill_for(1, ranges, fills) == charts.SEQUENTIAL_PALETTE[0]


def test_step_fills_differ_for_each_range_and_end_with_the_darkest():
    for maximum in (1, 2, 3, 5, 40):
        fills = charts.step_fills(charts.count_steps(maximum))
        assert len(set(fills)) == len(fills)
        assert fills[-1] == charts.SEQUENTIAL_PALETTE[-1]
        assert charts.ZERO_FILL not in fills


def test_bar_lengths_are_proportional_with_the_largest_full():
    assert charts.bar_lengths([50, 100, 25], longest=80) == [40, 80, 20]


def test_bar_lengths_keep_a_small_count_visible_and_zero_empty():
    lengths = charts.bar_lengths([0, 1, 100000], longest=100, shortest=0.5)
    assert lengths[0] == 0 and lengths[1] == 0.5 and lengths[2] == 100


def test_bar_lengths_of_nothing():
    assert charts.bar_lengths([]) == []
    assert charts.bar_lengths([0, 0]) == [0, 0]


def test_label_x_centres_a_label_that_fits_and_pushes_one_that_does_not():
    assert charts.label_x(200, "2024", 10, 0, 400) == (200, "middle")
    assert charts.label_x(3, "maggio 2024", 10, 0, 400) == (0, "start")
    assert charts.label_x(398, "maggio 2024", 10, 0, 400) == (400, "end")
