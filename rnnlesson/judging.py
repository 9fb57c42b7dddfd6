"""Judging a translation when there is more than one right answer: the dates task turned round.

Notebooks 13 and 14 translate spoken dates into ISO form, where each date has one right
output. Read aloud the other way, an ISO date has several: "2024-05-05" is "may fifth twenty
twenty four", "the fifth of may twenty twenty four" or "may the fifth two thousand twenty
four", and all are right. Exact match against one of them calls the others wrong; BLEU
(`rnnlesson.bleu`) against all of them gives credit to any, and partial credit to near misses.

Letters: m examples, K readings of one date.
"""

import datetime

from rnnlesson._validate import describe, fail
from rnnlesson.bleu import check_corpus
from rnnlesson.dates import MONTHS, ONES, date_words, day_words, number_words, year_words


def year_readings(year):
    """The ways to say a year 1950..2049: 'nineteen sixty eight' only; 2000..2009 also
    'twenty oh seven' (2000 is 'two thousand' only); 2010..2049 also 'two thousand twenty
    four'. The first is `rnnlesson.dates.year_words`'s."""
    readings = [year_words(year)]
    century, rest = divmod(year, 100)
    if century == 20 and 0 < rest < 10:
        readings.append(f"twenty oh {ONES[rest]}")
    elif century == 20 and rest >= 10:
        readings.append(f"two thousand {number_words(rest)}")
    return readings


def date_readings(date):
    """Every right reading of a date between 1950 and 2049, as strings of words: the month
    and day in three orders ('may fifth', 'the fifth of may', 'may the fifth') times the
    year's readings (`year_readings`): 3 or 6 of them, the first `rnnlesson.dates.date_words`'s."""
    if not isinstance(date, datetime.date):
        fail("date", "a datetime.date from 1950-01-01 to 2049-12-31", describe(date))
    date_words(date)  # checks the range
    month, day = MONTHS[date.month - 1], day_words(date.day)
    days = [f"{month} {day}", f"the {day} of {month}", f"{month} the {day}"]
    return [f"{d} {y}" for d in days for y in year_readings(date.year)]


def exact_match(hypotheses, references):
    """The share of hypotheses equal to one of their references (m,): hypotheses a list of m
    token sequences, references a list of m lists of token sequences, as `corpus_bleu` takes
    them. With only each date's first reference, a right reading in another order counts as
    wrong."""
    check_corpus(hypotheses, references)
    right = [any(list(hyp) == list(ref) for ref in refs)
             for hyp, refs in zip(hypotheses, references, strict=True)]
    return sum(right) / len(right)
