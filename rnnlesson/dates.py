"""The dates task of notebooks 13 and 14: dates written as spoken words, to translate into ISO
form ("march third twenty twenty four" -> "2024-03-03"), and the helpers both notebooks train
and score their encoder-decoders with.

Letters: m examples, T_x source words, T_y = 10 target characters.
"""

import datetime

import numpy as np

from rnnlesson.generate import translate

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ORDINALS = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
            "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
            "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth"]
FIRST_DAY, LAST_DAY = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)


def number_words(n):
    """1..99 in words."""
    return ONES[n] if n < 20 else f"{TENS[n // 10]} {ONES[n % 10]}".strip()


def day_words(day):
    """1..31 as an ordinal: 'third', 'twenty first', 'thirtieth'."""
    if day <= 20:
        return ORDINALS[day]
    return "thirtieth" if day == 30 else f"{TENS[day // 10]} {ORDINALS[day % 10]}"


def year_words(year):
    """1950..2049 as spoken: 'nineteen sixty eight', 'two thousand seven', 'twenty twenty four'."""
    century, rest = divmod(year, 100)
    if century == 20 and rest < 10:
        return "two thousand" + (f" {ONES[rest]}" if rest else "")
    return f"{number_words(century)} {number_words(rest)}"  # rest is 10..99 from 1950 on


def date_words(date):
    """A datetime.date between 1950 and 2049 as spoken words: 'march third twenty twenty four'."""
    if not isinstance(date, datetime.date) or not FIRST_DAY <= date <= LAST_DAY:
        raise ValueError(f"date: expected a datetime.date from {FIRST_DAY} to {LAST_DAY}, "
                         f"got {date!r}")
    return f"{MONTHS[date.month - 1]} {day_words(date.day)} {year_words(date.year)}"


def draw_dates(rng, n):
    """n different random dates from 1950 to 2049 (a list of datetime.date), drawn with the
    generator rng (np.random.default_rng)."""
    n_days = (LAST_DAY - FIRST_DAY).days + 1
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 < n <= n_days:
        raise ValueError(f"n: expected an int in [1, {n_days}] (no date drawn twice), got {n!r}")
    offsets = rng.choice(n_days, size=n, replace=False)
    return [FIRST_DAY + datetime.timedelta(days=int(k)) for k in offsets]


def minibatch(step, x, y_in, y, lengths, size=256):
    """A random set of `size` examples, the same for the same step in every run: x (m, T_x),
    y_in, y (m, T_y), lengths (m,) -> the same arrays for the chosen examples."""
    pick = np.random.default_rng(step).choice(len(x), size=size, replace=False)
    return x[pick], y_in[pick], y[pick], lengths[pick]


def exact_accuracy(params, x, lengths, y, start_id):
    """Share of sequences translated exactly, with greedy decoding: x (m, T_x) ids, lengths
    (m,), y (m, T_y); params of an encoder-decoder, with or without attention."""
    guess = translate(params, x, y.shape[1], start_id, lengths=lengths)
    return np.mean(np.all(guess == y, axis=1))
