"""The dates task shared by notebooks 13 and 14."""

import datetime

import numpy as np
import pytest

from rnnlesson.dates import date_words, draw_dates, minibatch


@pytest.mark.parametrize("date, words", [
    (datetime.date(2024, 3, 3), "march third twenty twenty four"),
    (datetime.date(1968, 11, 21), "november twenty first nineteen sixty eight"),
    (datetime.date(2007, 7, 30), "july thirtieth two thousand seven"),
    (datetime.date(2000, 2, 20), "february twentieth two thousand"),
    (datetime.date(2049, 12, 31), "december thirty first twenty forty nine"),
])
def test_date_words_speaks_the_date(date, words):
    assert date_words(date) == words


def test_date_words_refuses_a_date_out_of_range():
    with pytest.raises(ValueError, match=r"date: expected a datetime.date from 1950-01-01"):
        date_words(datetime.date(1949, 12, 31))


def test_draw_dates_draws_different_dates_in_range_the_same_for_a_seed():
    dates = draw_dates(np.random.default_rng(3), 500)
    assert len(set(dates)) == 500
    assert min(dates) >= datetime.date(1950, 1, 1) and max(dates) <= datetime.date(2049, 12, 31)
    assert dates == draw_dates(np.random.default_rng(3), 500)


@pytest.mark.parametrize("n", [0, 36526, 2.5, True])
def test_draw_dates_refuses_a_count_it_cannot_draw(n):
    with pytest.raises(ValueError, match=r"n: expected an int in \[1, 36525\]"):
        draw_dates(np.random.default_rng(0), n)


def test_minibatch_is_the_same_for_a_step_and_picks_matching_rows():
    x, lengths = np.arange(40).reshape(20, 2), np.arange(20)
    y = x + 100
    first = minibatch(5, x, y, y, lengths, size=4)
    assert all(np.array_equal(a, b) for a, b in zip(first, minibatch(5, x, y, y, lengths, size=4),
                                                    strict=True))
    assert np.array_equal(first[0][:, 0] // 2, first[3])
    assert np.array_equal(first[1], first[0] + 100)
