"""Figures the prose quotes are the figures the code printed.

A number the code computes is printed by the code. Where the Markdown quotes one, it is listed
in QUOTES: a pattern that finds the quote in the notebook's Markdown (exactly once, so an edit of
the sentence shows up here) and a pattern that finds the figure in the notebook's stored
outputs. The two must agree to the precision the prose gives. A figure the prose works out
from printed ones (a difference, a share, a range) is in DERIVED, with the arithmetic; what the
prose reads off a curve or a table ("within a few dozen steps", "none at 40 steps") has a test
of its own below, against the lines the notebook prints for it. The notebooks are notebooks/
and the exercises' sources, solutions/.
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest

from rnnlesson.gradcheck import VERDICTS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"  # and solutions/, for "exNN"
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty": 20, "seventy": 70}
ORDERS = {"thousands": 3, "millions": 6, "billions": 9}  # "a norm in the millions"


@dataclass(frozen=True)
class Quote:
    """notebook: its number ("NN", or "exNN" for a solution); prose: a regex whose group 1 is the
    quoted figure; output: a regex whose group 1 is the printed figure.
    how: "exact" (to the prose's decimals), "percent" (the output is a share, the prose says %),
    "percent, or more" (the prose gives a lower bound: 'about 95% or more'), "rounded" (the
    prose rounds to its trailing zeros, e.g. 54,000), "at least" (the prose gives a bound:
    'within 40 steps'), "power" (the prose writes 10^{n}, the output 1e+n) or "order" (the
    prose says "in the millions": 1e6 <= the output < 1e9)."""

    notebook: str
    prose: str
    output: str
    how: str = "exact"


QUOTES = [
    Quote("04", r"passes over the (\d+) training pairs", r"training arrays: x \((\d+), "),
    Quote("05", r"a pre-activation of \$(0\.2)\$", r"sum \+ ba\s+= \[[\d.]+ ([\d.]+) ?\]"),
    Quote("05", r"\\tanh\(0\.2\) \\approx (0\.197)", r"a_t = tanh\(sum\)\s+= \[[\d.]+ ([\d.]+)\]"),
    Quote("05", r"probability \$(0\.655)\$", r"ŷ_t = softmax\s+= \[([\d.]+)"),
    Quote("07", r"checking all \$(\d+)\$ entries", r"(\d+) entries nudged"),
    Quote("07", r"entries here took \$(\d+)\$", r"(\d+) evaluations of the loss"),
    Quote("11", r"ships (\d+) short sentences", r"(\d+) sentences: \d+ for training"),
    Quote("11", r"Of the (\d+) training sentences", r"\d+ sentences: (\d+) for training"),
    Quote("11", r"data contains (\d+) pairs", r"(\d+) pairs: \d+ in the training split"),
    Quote("11", r"the (\d+) test pairs give it", r"in the training split, (\d+) in the test"),
    Quote("11", r"About (\d+)% on the training set", r"bag of words, training accuracy:\s+([\d.]+)",
          "percent"),
    Quote("11", r"caps its training accuracy near (0\.\d+)",
          r"bag of words, training accuracy:\s+([\d.]+)"),
    Quote("11", r"reaches about (0\.\d+) on the test set", r"RNN test accuracy:\s+([\d.]+)"),
    Quote("11", r"it is undecided \((0\.\d+)", r"P\(positive\) after 'i disliked': ([\d.]+)"),
    Quote("11", r"appears in (\d+) positive training",
          r"positive training sentences with 'not': (\d+)"),
    Quote("11", r"occurs in only (\w+) training sentences", r"with 'did not like': (\d+)"),
    Quote("11", r"reaches (1\.00) after the second", r"end [\d.]+\s+was ([\d.]+)"),
    Quote("12", r"about ([\d,]+) characters\. We keep", r"(\d+) characters: \d+ for training",
          "rounded"),
    Quote("12", r"through all ([\d,]+) training characters", r"\d+ characters: (\d+) for training",
          "rounded"),
    Quote("12", r"\((2\.4) nats instead of", r"previous character: ([\d.]+)"),
    Quote("12", r"nats instead of (3\.0)\)", r"letter frequencies: ([\d.]+)"),
    Quote("12", r"ends\s+near (1\.9) nats", r"held-out text: ([\d.]+) nats"),
    Quote("12", r"to about (1\.9) nats per character", r"held-out text: ([\d.]+) nats"),
    Quote("12", r"letter-frequency \((3\.0)\)", r"letter frequencies: ([\d.]+)"),
    Quote("12", r"previous-character \((2\.4)\)", r"previous character: ([\d.]+)"),
    Quote("12", r"In (400) steps a 128-unit", r"(\d+) steps, about"),
    Quote("12", r"Unit (\d+) is the best single match", r"position in word\s+(\d+)"),
    Quote("12", r"A correlation of (0\.\d+) is a tendency", r"position in word\s+\d+\s+\+([\d.]+)"),
    Quote("12", r"comes back well \(\$r = (0\.\d+)\$", r"position in word\s+[\d.]+\s+([\d.]+)"),
    Quote("12", r"against (0\.\d+) for the best single unit",
          r"position in word\s+([\d.]+)\s+[\d.]+\n"),
    Quote("12", r"\(\$r\$ of (0\.\d+) for both\)", r"inside quotes\s+[\d.]+\s+([\d.]+)"),
    Quote("12", r"no unit comes close \(\$\|r\| \\le (0\.\d+)\$\)",
          r"position in sentence\s+\d+\s+\+([\d.]+)"),
    Quote("12", r"quotes are also rare, (\d+) quote marks", r"in the training text: (\d+) in"),
    Quote("12", r"quote marks in ([\d,]+) characters", r"in the training text: \d+ in (\d+)",
          "rounded"),
    Quote("13", r"translates about (\d+)% of the",
          r"held-out dates, exact-sequence accuracy: ([\d.]+)", "percent"),
    Quote("13", r"for 400 steps translates about (\d+)%",
          r"held-out dates, exact-sequence accuracy: ([\d.]+)", "percent"),
    Quote("13", r"(\d+\.\d)% of their characters", r"per-character accuracy:\s+([\d.]+)",
          "percent"),
    Quote("13", r"of the (\d+) unseen dates", r"\d+ for training, (\d+) held out"),
    Quote("13", r"all but (\d+) of the \d+ are right", r"\((\d+) of \d+ wrong\)"),
    Quote("13", r"all but \d+ of the (\d+) are right", r"\(\d+ of (\d+) wrong\)"),
    Quote("13", r"(\d+) for \*\"sixth\"\*", r"june sixth twenty twenty six -> \d{4}-\d\d-(\d+)"),
    Quote("13", r"(\d+) for \*\"seventh\"\*",
          r"june seventh twenty twenty six -> \d{4}-\d\d-(\d+)"),
    Quote("13", r"(\d+) for \*\"tenth\"\*", r"december tenth twenty fourteen -> \d{4}-\d\d-(\d+)"),
    Quote("10", r"billionth of its size within (\d+) steps", r"below a billionth after (\d+) steps",
          "at least"),
    Quote("10", r"to about \$10\^\{(-?\d+)\}\$ after 59", r"plain RNN (1e[+-]\d+)", "power"),
    Quote("10", r"and\s+to about \$10\^\{-14\}\$ after (\d+)\.", r"after (\d+) steps: plain RNN"),
    Quote("14", r"only about (\d+)% of the held-out", r"plain: held-out exact accuracy ([\d.]+)",
          "percent"),
    Quote("14", r"gets (\d+\.\d)% of their characters right",
          r"plain: held-out exact accuracy [\d.]+, per character ([\d.]+)", "percent"),
    Quote("14", r"\(positions (\d+) and \d+\)", r"plain, its two worst output positions: (\d+)"),
    Quote("14", r"\(positions \d+ and (\d+)\)",
          r"plain, its two worst output positions: \d+ and (\d+)"),
    Quote("14", r"translates (\d+\.\d)% of them exactly",
          r"attention: held-out exact accuracy ([\d.]+)", "percent"),
    Quote("14", r"four-word ones \(about (\d+)% exact\)",
          r"attention, exact accuracy by source length: 4 words ([\d.]+)", "percent"),
    Quote("14", r"the rarest: (\d+) of the", r"by source length: \{4: (\d+)"),
    Quote("14", r"the rarest: \d+ of the (\d+)", r"on all (\d+) held-out dates"),
    Quote("14", r"changes the output on only (\d+) of the",
          r"dates where the two outputs differ: (\d+)"),
    Quote("14", r"\((\d+) of \d+\)\. It", r"beam's log P is higher for (\d+)"),
    Quote("14", r"\(\d+ of (\d+)\)\. It", r"dates where the two outputs differ: (\d+)"),
    Quote("14", r"mistake on (\d+) dates", r"beam fixes greedy on (\d+) dates"),
    Quote("14", r"breaks it on (\d+),", r"and breaks it on (\d+):"),
    Quote("14", r"from (\d+\.\d)% to", r"exact accuracy: greedy ([\d.]+)", "percent"),
    Quote("14", r"% to\s+(\d+\.\d)%", r"beam of 3 ([\d.]+)\n", "percent"),
    Quote("14", r"attention translated (\d+)% of the held-out",
          r"attention: held-out exact accuracy ([\d.]+)", "percent"),
    Quote("14", r"month looks hardest at the month word in (\d+)%",
          r"looks most at the month word in (\d+)%"),
    Quote("14", r"day's first word in (\d+)%,", r"at the day's first word in (\d+)%"),
    Quote("14", r"the month\s+word \((\d+)%\)", r"second digit at the month word in (\d+)%"),
    Quote("14", r"and the plain encoder-decoder (\d+)%:",
          r"plain: held-out exact accuracy ([\d.]+)", "percent"),
    Quote("04", r"cycles\s+through (\d+) mini-batches",
          r"training loss over the last (\d+) batches"),
    Quote("04", r"(\w+) numbers per frame", r"features x \((\d+), \d+, \d+\)"),
    Quote("04", r"3 shapes, (\d+) objects in all", r"described exactly right: \d+% of (\d+)"),
    Quote("04", r"make the vectors up: (\d+) numbers", r"features f \((\d+), \d+\)"),
    Quote("04", r"(\w+) exchanges are only enough", r"training dialogue: \d+ of (\d+)"),
    Quote("08", r"would be a sum of (\d+) of them", r"the (\d+) direct parts' norms"),
    # the exercises' "What this shows" (solutions/, from which exercises/ is made)
    Quote("ex02", r"\$\(n_x, m\) = \((\d+), m\)\$", r"image_captions\s+one-to-many\s+\((\d+), "),
    Quote("ex07", r"\(cosine similarity (\d)\)", r"clipped by global norm\): ([\d.]+)"),
    Quote("ex07", r"of spaces and `e` \(the most common characters\) in (\d+) draws",
          r"make \d+% of (\d+) draws"),
    Quote("ex08", r"gets about (\d+)% or more", r"held-out accuracy: \d+/\d+ = ([\d.]+)",
          "percent, or more"),
    Quote("ex10", r"passes through (\w+) steps of new", r"memory left after (\d+) steps"),
    Quote("ex11", r"back one step (\w+) times over", r"gradient left after (\d+) steps"),
    # the worked step of notebook 05, term by term
    Quote("05", r"received \$(-0\.1)\$ from the old state",
          r"Waa a_\{t-1\}\s+= \[\s*-?[\d.]+\s+(-?[\d.]+)\s*\]"),
    Quote("05", r"\$\+(0\.2)\$ from the input", r"Wax x_t\s+= \[\s*-?[\d.]+\s+(-?[\d.]+)\s*\]"),
    # float32's unit round-off and best centred error, as the table of notebook 07 prints them
    Quote("07", r"Its \$u\$ is about \$10\^\{(-\d+)\}\$", r"float32\s+(\S+)", "power"),
    Quote("07", r"best error is only about \$10\^\{(-\d+)\}\$", r"float32\s+\S+\s+\S+\s+(\S+)",
          "power"),
    Quote("09", r"has a norm in the (millions)", r"rho = 5\.0: global gradient norm about (\S+)",
          "order"),
    Quote("09", r"points at \$(\d+)°\$", r"by value:.*direction ([\d.]+) degrees"),
    Quote("09", r"instead of \$(\d+)°\$", r"global norm:.*direction ([\d.]+) degrees"),
    Quote("09", r"After (\d+) steps, \$\\rho = 0\.5\$",
          r"factor per step [\d.]+, after (\d+) steps"),
    Quote("09", r"\$\\rho = 3\$ has grown it by about \$10\^\{(\d+)\}\$",
          r"rho = 3\.0: factor per step [\d.]+, after \d+ steps (\S+) times", "power"),
    Quote("11", r"\((\d+) sentences is a small batch\)", r"\d+ sentences: (\d+) for training"),
    Quote("11", r"With only (\d+)\s+test sentences", r"\d+ for training, (\d+) for testing"),
    Quote("11", r"one test sentence\s+is \$1/(\d+)", r"\d+ for training, (\d+) for testing"),
    Quote("11", r"to the (\d+) training pairs", r"pairs: (\d+) in the training split"),
    Quote("11", r"\\approx (0\.\d+)\$, which is what the",
          r"bag of words, training accuracy:\s+([\d.]+)"),
    Quote("11", r"\\approx (0\.\d+)\$\.\n", r"bag of words, test accuracy:\s+([\d.]+)"),
    Quote("11", r"the (\d+) test pairs were not", r"in the training split, (\d+) in the test"),
    Quote("11", r"including the (\d+) it never saw", r"in the training split, (\d+) in the test"),
    Quote("12", r"\\hat y_t = 1/(\d+)\$", r"vocabulary: (\d+) characters"),
    Quote("12", r"a loss of \$\\ln (\d+) \\approx", r"vocabulary: (\d+) characters"),
    Quote("12", r"a loss of \$\\ln \d+ \\approx\s+(4\.\d+)\$", r"knows nothing: ([\d.]+)"),
    Quote("12", r"\$(\d+) \\times \d+\$ counts", r"vocabulary: (\d+) characters"),
    Quote("12", r"\$\d+ \\times (\d+)\$ counts", r"vocabulary: (\d+) characters"),
    Quote("12", r"The loss starts at \$\\ln (\d+)\$", r"vocabulary: (\d+) characters"),
    Quote("12", r"down\s+from (\w+)\.", r"vocabulary: (\d+) characters"),
    Quote("12", r"goes from \$\\ln (\d+) \\approx", r"vocabulary: (\d+) characters"),
    Quote("12", r"goes from \$\\ln \d+ \\approx (4\.\d+)\$", r"knows nothing: ([\d.]+)"),
    Quote("13", r"one bump, from step (\d+) to \d+", r"mean loss: from step (\d+) to"),
    Quote("13", r"one bump, from step \d+ to (\d+)", r"mean loss: from step \d+ to (\d+)"),
    Quote("13", r"the sources have (\d+) to \d+ words", r"source lengths: (\d+) to"),
    Quote("13", r"the sources have \d+ to (\d+) words", r"source lengths: \d+ to (\d+) words"),
    Quote("13", r"only if all (\w+) characters are right", r"target length: always (\d+)"),
    Quote("13", r"For a date of (\w+) words", r"source lengths: \d+ to (\d+) words"),
    Quote("14", r"for each source length \((\d+), \d+\s+or \d+ words\)",
          r"source lengths: (\d+) to"),
    Quote("14", r"for each source length \(\d+, (\d+)\s+or \d+ words\)",
          r"held-out dates by source length: \{\d+: \d+, (\d+):"),
    Quote("14", r"for each source length \(\d+, \d+\s+or (\d+) words\)",
          r"source lengths: \d+ to (\d+) words"),
    Quote("14", r"On inputs of (\w+) to \w+ words", r"source lengths: (\d+) to"),
    Quote("14", r"On inputs of \w+ to (\w+) words", r"source lengths: \d+ to (\d+) words"),
    Quote("14", r"weights over the (\w+) source positions", r"alpha: \(\d+, (\d+)\) \(m, T_x\)"),
    Quote("14", r"\(`(\d{4})` for `\d{4}`\)", r"two: greedy (\d{4})-"),
    Quote("14", r"\(`\d{4}` for `(\d{4})`\)",
          r"two: greedy \d{4}-\d\d-\d\d \(log P [-\d.]+\), beam (\d{4})-"),
    Quote("14", r"one is counted \(\$p_1 = (\d+)/\d+\$\)",
          r"'may may may may may': clipped matches \((\d+),"),
    Quote("14", r"one is counted \(\$p_1 = \d+/(\d+)\$\)",
          r"'may may may may may': clipped matches \([\d, ]+\) of \((\d+),"),
    Quote("14", r"of the (\w+) `may`s one",
          r"'may may may may may': clipped matches \([\d, ]+\) of \((\d+),"),
    Quote("14", r"with the closest reading (\w+) words\s+long",
          r"'may fifth twenty twenty': .*?, r = (\d+),"),
    Quote("14", r"A right reading, whichever, scores (\d+)\.",
          r"'the fifth of may twenty twenty four': .*?BLEU = ([\d.]+)"),
    Quote("11", r"come from (\d+) sentences and a single", r"\d+ sentences: (\d+) for training"),
    Quote("17", r"the (\w+) words of \"the cat sat",
          r"alpha: \(1, (\d+), \d+\) \(m, T_x, T_x\)"),
    Quote("17", r"fresh weights with\s+\$n_e = n_v = (\d+)\$",
          r"z: \((\d+), 1, \d+\) \(n_v, m, T_x\)"),
]


def floats(text):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


@dataclass(frozen=True)
class Derived:
    """A figure the prose works out from printed ones (a difference, a share, a range).
    outputs: regexes whose group 1 is a printed figure (or a printed array); value: what the
    prose's figure must be, given the printed strings in that order; how: as for Quote."""

    notebook: str
    prose: str
    outputs: tuple
    value: object
    how: str = "exact"


N_TRAIN, N_TEST = r"\d+ sentences: (\d+) for training", r"\d+ for training, (\d+) for testing"
TRAIN_PAIRS, TEST_PAIRS = (r"pairs: (\d+) in the training split",
                           r"in the training split, (\d+) in the test")
UNIT_MEANS = r"at positions 0 \(not in a word\), 1, 2, \.\.\.: \[([^\]]+)\]"
PERPLEXITY = r"held-out text: [\d.]+ nats per character, perplexity ([\d.]+)"

DERIVED = [
    Derived("04", r"\((\w+) in\s+ten of the training numbers take three",
            (r"which make up (\d+)% of the training pairs",), lambda share: 10 - float(share) / 10),
    Derived("09", r"\$\\rho = 0\.5\$ has shrunk the gradient by a factor of\s+about "
            r"\$10\^\{(\d+)\}\$",
            (r"rho = 0\.5: factor per step [\d.]+, after \d+ steps (\S+) times",),
            lambda share: 1 / float(share), "power"),
    # notebook 11: the bag of words' ceilings, worked out from the counts of the data
    Derived("11", r"Of the \d+ training sentences, (\d+) belong", (TRAIN_PAIRS,),
            lambda pairs: 2 * int(pairs)),
    Derived("11", r"at most (\d+) of those can be right", (TRAIN_PAIRS,), int),
    Derived("11", r"\$\((\d+) \+ \d+\) / \d+", (N_TRAIN, TRAIN_PAIRS),
            lambda n, pairs: int(n) - 2 * int(pairs)),
    Derived("11", r"\$\(\d+ \+ (\d+)\) / \d+", (TRAIN_PAIRS,), int),
    Derived("11", r"\$\(\d+ \+ \d+\) / (\d+)", (N_TRAIN,), int),
    Derived("11", r"\$\(\d+ \+ \d+\) / \d+ \\approx (0\.\d+)\$", (N_TRAIN, TRAIN_PAIRS),
            lambda n, pairs: (int(n) - int(pairs)) / int(n)),
    Derived("11", r"the (\d+) sentences outside pairs", (N_TEST, TEST_PAIRS),
            lambda n, pairs: int(n) - 2 * int(pairs)),
    Derived("11", r"give it (\d+) right and", (TEST_PAIRS,), int),
    Derived("11", r"right and (\d+) wrong", (TEST_PAIRS,), int),
    Derived("11", r"\$(\d+) / \d+ \\approx 0\.\d+\$\.", (N_TEST, TEST_PAIRS),
            lambda n, pairs: int(n) - int(pairs)),
    Derived("11", r"\$\d+ / (\d+) \\approx 0\.\d+\$\.", (N_TEST,), int),
    Derived("11", r"\$\d+ / \d+ \\approx (0\.\d+)\$\.", (N_TEST, TEST_PAIRS),
            lambda n, pairs: (int(n) - int(pairs)) / int(n)),
    Derived("11", r"\$1/\d+ \\approx (0\.\d+)\$", (N_TEST,), lambda n: 1 / int(n)),
    # notebook 12: unit 66's mean value by position in the word, and the held-out perplexity
    Derived("12", r"first two\s+letters of a word \(\$(-?\d\.\d)\$ to", (UNIT_MEANS,),
            lambda means: min(floats(means)[:3])),
    Derived("12", r"first two\s+letters of a word \(\$-?\d\.\d\$ to \$(-?\d\.\d)\$\)",
            (UNIT_MEANS,), lambda means: max(floats(means)[:3])),
    Derived("12", r"from the third letter on \(\$\+(\d\.\d)\$ to", (UNIT_MEANS,),
            lambda means: min(floats(means)[3:])),
    Derived("12", r"from the third letter on \(\$\+\d\.\d\$ to \$\+(\d\.\d)\$\)", (UNIT_MEANS,),
            lambda means: max(floats(means)[3:])),
    Derived("12", r"a perplexity between (\d+) and", (PERPLEXITY,),
            lambda p: math.floor(float(p))),
    Derived("12", r"a perplexity between \d+ and (\d+)", (PERPLEXITY,),
            lambda p: math.ceil(float(p))),
    Derived("12", r"among (\w+) or \w+ equally likely", (PERPLEXITY,),
            lambda p: math.floor(float(p))),
    Derived("12", r"among \w+ or (\w+) equally likely", (PERPLEXITY,),
            lambda p: math.ceil(float(p))),
]


def markdown(notebook):
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def outputs(notebook):
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            texts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


def number(text):
    text = text.replace(",", "").lower()
    return WORDS[text] if text in WORDS else float(text)


def agrees(quoted, printed, how):
    """Whether the prose's figure is the printed one, to the prose's precision."""
    if how == "order":
        return ORDERS[quoted] <= math.floor(math.log10(float(printed))) < ORDERS[quoted] + 3
    value, printed = number(quoted), float(printed)
    if how == "power":
        return value == math.floor(math.log10(printed))
    if how == "at least":
        return value >= printed
    if how.startswith("percent"):
        printed *= 100
    if how.endswith(", or more"):  # '95% or more': the prose gives a lower bound
        return value <= printed
    decimals = len(quoted.split(".")[1]) if "." in quoted else 0
    if how == "rounded":  # 54,000 is 53965 rounded to thousands
        digits = str(int(value))
        decimals = -(len(digits) - len(digits.rstrip("0")))
    return math.isclose(round(printed, decimals), value, abs_tol=1e-9)


def notebook_path(number_):
    """notebooks/NN-*.ipynb for "NN", solutions/exNN-*.ipynb for "exNN"."""
    folder = NOTEBOOKS.parent / "solutions" if number_.startswith("ex") else NOTEBOOKS
    (path,) = folder.glob(f"{number_}-*.ipynb")
    return path


@pytest.mark.parametrize("quote", QUOTES, ids=[f"{q.notebook}:{q.prose[:30]}" for q in QUOTES])
def test_quoted_figures_are_the_printed_ones(quote):
    notebook = nbformat.read(notebook_path(quote.notebook), as_version=4)
    found = re.findall(quote.prose, markdown(notebook))
    assert len(found) == 1, f"the quote {quote.prose!r} occurs {len(found)} times in the prose"
    text = outputs(notebook)
    match = re.search(quote.output, text)
    assert match, f"no stored output matches {quote.output!r}: re-run the notebook?"
    printed = match.group(1)
    assert agrees(found[0], printed, quote.how), f"the prose says {found[0]}, the output {printed}"


@pytest.mark.parametrize("derived", DERIVED,
                         ids=[f"{d.notebook}:{d.prose[:30]}" for d in DERIVED])
def test_figures_the_prose_works_out_follow_from_the_printed_ones(derived):
    notebook = nbformat.read(notebook_path(derived.notebook), as_version=4)
    found = re.findall(derived.prose, markdown(notebook))
    assert len(found) == 1, f"the quote {derived.prose!r} occurs {len(found)} times in the prose"
    text = outputs(notebook)
    printed = []
    for pattern in derived.outputs:
        match = re.search(pattern, text)
        assert match, f"no stored output matches {pattern!r}: re-run the notebook?"
        printed.append(match.group(1))
    value = derived.value(*printed)
    assert agrees(found[0], repr(float(value)), derived.how), \
        f"the prose says {found[0]}, the printed figures {printed} give {value}"


def test_notebook_08s_total_gradient_stays_on_the_scale_of_its_direct_part():
    """'If those terms arrived at full size, the total at t = 1 would be a sum of 40 of them ...
    It does not: the total stays on the scale of the direct part'."""
    notebook = nbformat.read(notebook_path("08"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "It does not: the total stays on the scale of the direct part" in prose
    total, direct, added = map(float, re.search(
        r"largest total ([\d.]+), largest direct part ([\d.]+); the \d+ direct parts' norms add "
        r"up to ([\d.]+)", text).groups())
    assert direct <= total < 2 * direct and total < added / 10, (total, direct, added)


def test_notebook_09s_factors_per_step_behave_as_the_prose_says():
    """Small inputs: 'For rho <= 1 the states stay tiny and the factor per step is still rho ...
    even inputs of 10^-3 grow until tanh saturates'; inputs of size 1: 'Every curve now falls
    below its rho^k line ... rho = 1.5 ... now vanishes too; and rho = 3 still grows'."""
    notebook = nbformat.read(notebook_path("09"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    for claim in ("For $\\rho \\le 1$ the states stay tiny and the factor per step is still",
                  "Every curve now falls below its $\\rho^k$ line",
                  "$\\rho = 1.5$, which exploded with zero inputs, now vanishes too; and "
                  "$\\rho = 3$ still grows, but far more slowly than $3^k$"):
        assert claim in prose, claim
    small = {float(r): (float(f), float(a)) for r, f, a in re.findall(
        r"rho = ([\d.]+): factor per step ([\d.]+), largest \|a_t\| ([\d.]+)", text)}
    ordinary = {float(r): float(f) for r, f in re.findall(
        r"rho = ([\d.]+): factor per step ([\d.]+)\n", text)}
    assert set(small) == set(ordinary) and len(small) >= 4
    for rho, (factor, largest) in small.items():
        if rho <= 1:
            assert abs(factor - rho) < 0.01 and largest < 0.1, (rho, factor, largest)
        else:
            assert largest > 0.9 and factor < rho, (rho, factor, largest)
    assert all(factor < rho for rho, factor in ordinary.items()), ordinary
    assert all(ordinary[rho] < small[rho][0] for rho in small if rho <= 1), "even faster"
    assert ordinary[1.5] < 1 < ordinary[3.0] < 3.0 ** 0.5, ordinary


def test_notebook_09s_runs_remember_the_cue_as_the_prose_says():
    """'With 5 or 10 steps every run solves the task ... by 40 steps none does', and the
    Summary's 'across 10 steps but not across 40', against the printed accuracy of each run."""
    notebook = nbformat.read(notebook_path("09"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    table = text.split("test accuracy of each training run\n", 1)[1]
    runs = {int(length): floats(values)
            for length, values in re.findall(r"T_x = +(\d+): ([\d. ]+)", table)}
    assert len(runs) >= 4 and all(len(r) == len(runs[min(runs)]) > 1 for r in runs.values())
    solved = [int(n) for n in re.search(r"With (\d+) or (\d+) steps every run solves", prose)
              .groups()]
    (unsolved,) = re.search(r"by (\d+) steps none does", prose).groups()
    carried, lost = re.search(r"carry a sign across (\d+) steps but not across (\d+)",
                              prose).groups()
    solves = {length: [accuracy > 0.95 for accuracy in r] for length, r in runs.items()}
    assert all(all(solves[n]) for n in solved), runs
    assert not any(solves[int(unsolved)]) and max(runs[int(unsolved)]) < 0.75, runs
    assert int(carried) == max(solved) and lost == unsolved
    middle = [n for n in runs if max(solved) < n < int(unsolved)]
    assert any(any(solves[n]) for n in middle), "a few runs still succeed at middle lengths"
    at_chance = [sum(accuracy < 0.6 for accuracy in runs[n]) for n in sorted(runs)]
    assert at_chance == sorted(at_chance), "more and more runs stay at chance"


def test_notebook_13s_held_out_accuracy_moves_as_the_prose_says():
    """'it stays low for the first hundred steps and then climbs quickly, with a dip at the same
    bump': the accuracy printed at each evaluation against the bump in the loss."""
    notebook = nbformat.read(notebook_path("13"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "stays low for the first hundred steps and then climbs quickly" in prose
    assert "with a dip at the same bump" in prose
    line = re.search(r"held-out dates translated exactly, by step: (.+)", text).group(1)
    evals = [(int(step), float(value)) for step, value in re.findall(r"(\d+) ([\d.]+)", line)]
    bump = int(re.search(r"mean loss: from step (\d+) to", text).group(1))
    assert all(value < 0.1 for step, value in evals if step <= 100), evals
    assert max(value for step, value in evals if step <= 200) > 0.5, "climbs quickly"
    dips = [step for (_, before), (step, value) in zip(evals[:-1], evals[1:], strict=True)
            if value < before]
    assert dips and all(abs(step - bump) <= 40 for step in dips), (dips, bump)


def test_notebook_13s_mistakes_fall_where_the_prose_says():
    """'The year is always right, and so are the dash after it and the month's first digit. The
    errors are in the month's second digit, in one misplaced dash, and most of all in the two
    digits of the day ... Here it recovered and wrote the right day': all the printed mistakes."""
    notebook = nbformat.read(notebook_path("13"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "The year is always right, and so are the dash after it and the month's first" in prose
    assert "in one misplaced dash, and most of all in the two digits of the day" in prose
    count, listed = re.search(r"all (\d+) held-out mistakes:\n((?:.+\n?)+)", text).groups()
    pairs = re.findall(r"-> (\S{10})\s+\(WRONG; true (\S{10})\)", listed)
    assert len(pairs) == int(count) > 0
    wrong = [[g != t for g, t in zip(guess, true, strict=True)] for guess, true in pairs]
    by_position = [sum(row[k] for row in wrong) for k in range(10)]  # YYYY-MM-DD
    assert by_position[:6] == [0] * 6, by_position  # the year, its dash, the month's first digit
    assert by_position[6] > 0 and by_position[7] == 1, by_position
    assert by_position[8] + by_position[9] > max(by_position[6], by_position[7]), by_position
    (dash,) = [pair for pair, row in zip(pairs, wrong, strict=True) if row[7]]
    assert dash[0][8:] == dash[1][8:], f"the misplaced dash's day: {dash}"


def test_notebook_14s_toy_decoder_scores_are_the_printed_ones():
    """'its log-probability, log 0.4, beats any three-symbol word (log 0.3 + log 0.49 + log
    0.96)': the two outputs beam search printed, with and without length normalisation."""
    notebook = nbformat.read(notebook_path("14"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    (alone,) = re.findall(r"`<end>` wins: its log-probability, \$\\log ([\d.]+)\$", prose)
    (word,) = re.findall(r"any three-symbol word \(\$\\log ([\d.]+) \+ \\log ([\d.]+) "
                         r"\+ \\log ([\d.]+)\$\)", prose)
    printed_end = float(re.search(r"length_norm=0\.0: <end>\s+log P = ([-\d.]+)", text).group(1))
    printed_word = float(re.search(r"length_norm=1\.0: \w \w <end>\s+log P = ([-\d.]+)",
                                   text).group(1))
    assert round(math.log(float(alone)), 3) == printed_end
    assert round(sum(math.log(float(p)) for p in word), 3) == printed_word
    assert printed_end > printed_word and printed_end / 1 < printed_word / 3  # who wins when


A_FEW_DOZEN = 60  # steps: the most that "within a few dozen steps" may mean


def test_notebook_10s_band_of_balance_is_narrow_and_moves_with_the_inputs():
    """'Scale W_aa up and it explodes instead. A balance does exist, but only in a narrow band,
    and the band depends on the inputs: the table shows a scale at which the gradient after 59
    steps is still of a usable size for these inputs, while the same weights make it vanish when
    the inputs are doubled ... and grow when they are halved'."""
    notebook = nbformat.read(notebook_path("10"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "A balance does exist, but only in a narrow band, and the band depends on the inputs" \
        in prose
    table = text.split("inputs halved\n", 1)[1].split("\n\n", 1)[0]
    rows = {float(r.split()[0]): [float(v) for v in r.split()[1:]] for r in table.splitlines()}
    usable = [scale for scale, (these, _, _) in rows.items() if 1e-2 <= these <= 1e1]
    assert len(usable) == 1, rows  # one scale of those tried: a narrow band
    these, doubled, halved = rows[usable[0]]
    assert doubled < 1e-3 and halved > 1.0, rows[usable[0]]
    assert rows[max(rows)][0] > 1e2 and rows[min(rows)][0] < 1e-4, "explodes above, vanishes below"


def test_notebook_11s_training_curves_move_as_the_prose_says():
    """'within a few dozen steps the network classifies every training sentence correctly ...
    passes the bag of words early and settles in the high nineties'."""
    notebook = nbformat.read(notebook_path("11"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "within a few dozen steps the network classifies every training sentence" in prose
    assert "passes the bag of words early and settles in the high nineties" in prose
    perfect = int(re.search(r"every training sentence right at each evaluation from step (\d+)",
                            text).group(1))
    above, low, high = re.search(r"above the bag of words' at step (\d+); after step 400 "
                                 r"between ([\d.]+) and ([\d.]+)", text).groups()
    assert perfect <= A_FEW_DOZEN and int(above) <= A_FEW_DOZEN, (perfect, above)
    assert 0.95 <= float(low) <= float(high) < 1.0, (low, high)


def test_notebook_12s_training_curve_moves_as_the_prose_says():
    """'The loss starts at ln 70 ... drops below the letter-frequency line within a few dozen
    steps and below the previous-character line soon after'."""
    notebook = nbformat.read(notebook_path("12"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "drops below the letter-frequency line within a few dozen steps and below the " \
           "previous-character line soon after" in prose
    first, ln_n = re.search(r"loss at step 1: ([\d.]+) nats \(ln \d+ = ([\d.]+)\)", text).groups()
    assert abs(float(first) - float(ln_n)) < 0.1, (first, ln_n)
    letters = int(re.search(r"below the letter frequencies line at step (\d+)", text).group(1))
    previous = int(re.search(r"below the previous character line at step (\d+)", text).group(1))
    assert letters <= A_FEW_DOZEN and 0 < previous - letters <= A_FEW_DOZEN, (letters, previous)


def test_notebook_14s_characters_fall_where_the_prose_says():
    """'the dash after the year is always right, the dash before the day on all but one date, and
    each digit of the year at least nine times in ten', of the plain model, and 'Its hardest
    dates are the four-word ones', of the one with attention."""
    notebook = nbformat.read(notebook_path("14"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "printed above the figure to three decimals so that a single date shows" in prose
    assert ("the dash after the year is always right, the dash before the day on all but one "
            "date, and each digit of the year at least nine times in ten") in prose
    assert "Its hardest dates are the four-word ones" in prose
    n_dates = int(re.search(r"on all (\d+) held-out dates", text).group(1))
    line = re.search(r"plain, share right at positions 1 to 10: ([\d. ]+)", text).group(1)
    assert all(len(v.split(".")[1]) == 3 for v in line.split()), line  # 1/500 shows
    shares = floats(line)
    assert len(shares) == 10 and shares[4] == 1.0, shares  # YYYY-MM-DD's first dash
    assert round((1 - shares[7]) * n_dates) == 1, shares  # the second dash: one date wrong
    assert min(shares[:4]) >= 0.9, shares
    by_length = dict(re.findall(r"(\d) words ([\d.]+)", re.search(
        r"attention, exact accuracy by source length: (.+)", text).group(1)))
    assert min(by_length, key=lambda k: float(by_length[k])) == "4", by_length


def code(notebook):
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "code")


def test_notebook_14s_budget_against_notebook_13s_is_the_codes():
    """'Notebook 13 gave its plain model three times the units, twice the steps and twice the
    batch (256 dates a step), so four times as many training examples': the figures in both
    notebooks' code (notebook 13 takes minibatch's default size)."""
    from inspect import signature

    from rnnlesson.dates import minibatch

    prose = " ".join(markdown(nbformat.read(notebook_path("14"), as_version=4)).split())
    claim = re.search(r"Notebook 13 gave its plain model (\w+) times the units, twice the steps "
                      r"and twice the batch \((\d+) dates a step\), so (\w+) times as many "
                      r"training examples", prose)
    assert claim, "the sentence on notebook 13's budget changed: update this test"
    units, batch13, examples = number(claim.group(1)), int(claim.group(2)), number(claim.group(3))
    budgets = []
    for name in ("13", "14"):
        source = code(nbformat.read(notebook_path(name), as_version=4))
        (n_a,) = re.findall(r"^n_a = (\d+)$", source, re.MULTILINE)
        (steps,) = re.findall(r"steps=(\d+)", source)
        sizes = re.findall(r"partial\(minibatch,[^)]*?size=(\d+)", source, re.DOTALL)
        size = int(sizes[0]) if sizes else signature(minibatch).parameters["size"].default
        budgets.append((int(n_a), int(steps), size))
    (n_a13, steps13, size13), (n_a14, steps14, size14) = budgets
    assert (units, batch13) == (n_a13 / n_a14, size13), budgets
    assert steps13 == 2 * steps14 and size13 == 2 * size14, budgets
    assert examples == steps13 * size13 / (steps14 * size14), budgets


def test_the_dates_of_notebook_13_are_the_packages():
    """The range the prose gives is the one rnnlesson.dates draws from."""
    from rnnlesson.dates import FIRST_DAY, LAST_DAY

    text = markdown(nbformat.read(notebook_path("13"), as_version=4))
    assert re.findall(r"random dates between (\d{4}) and (\d{4})", text) == [
        (str(FIRST_DAY.year), str(LAST_DAY.year))]
    assert (FIRST_DAY.month, FIRST_DAY.day, LAST_DAY.month, LAST_DAY.day) == (1, 1, 12, 31)


def test_agrees_compares_to_the_prose_precision():
    assert agrees("0.655", "0.6552", "exact") and not agrees("0.65", "0.6552", "exact")
    assert agrees("54,000", "53965", "rounded") and not agrees("54,000", "52965", "rounded")
    assert agrees("98", "0.978", "percent") and not agrees("97", "0.978", "percent")
    assert agrees("two", "2", "exact") and not agrees("three", "2", "exact")
    assert agrees("40", "38", "at least") and not agrees("30", "38", "at least")
    assert agrees("95", "0.98", "percent, or more") and not agrees("99", "0.98", "percent, or more")
    assert agrees("-14", "1e-14", "power") and agrees("-14", "5e-14", "power")
    assert not agrees("-14", "1e-13", "power")
    assert agrees("millions", "5e+06", "order") and not agrees("millions", "5e+09", "order")
    assert not agrees("millions", "9e+05", "order")


def test_the_verdict_table_of_notebook_07_is_the_packages():
    """The bands in notebook 07's table are gradcheck.VERDICTS: they meet, in the same order."""
    text = markdown(nbformat.read(notebook_path("07"), as_version=4))
    rows = re.findall(r"^\| (below|\$10\^\{-\d+\}\$ (?:up to|and above))([^|]*)\| \*\*(\w+)\*\*",
                      text, re.MULTILINE)
    bands = []
    for first, rest, verdict in rows:
        powers = [10.0 ** -int(p) for p in re.findall(r"10\^\{-(\d+)\}", first + rest)]
        upper = math.inf if "and above" in first else powers[-1]
        bands.append((upper, verdict))
    assert tuple(bands) == VERDICTS


def test_notebook_07s_taylor_terms_and_best_errors_are_the_printed_ones():
    """'the cell under the figure prints both terms at eps = 10^-5' and the centred best error
    'smaller by the factor u^(-1/6) (the table below prints it for both precisions)'."""
    notebook = nbformat.read(notebook_path("07"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "the cell under the figure prints both terms at $\\varepsilon = 10^{-5}$" in prose
    assert "smaller by the factor $\\sqrt{u} / u^{2/3} = u^{-1/6}$ (the table below prints it " \
           "for both precisions)" in prose
    one_sided, centred = map(float, re.search(
        r"Taylor's error terms at ε = 1e-05: one-sided (\S+), centred (\S+)\n", text).groups())
    assert (one_sided, centred) == (float(f"{0.5e-5 * math.sin(1):.0e}"),
                                    float(f"{1e-10 / 6 * math.cos(1):.0e}"))
    for dtype in (np.float32, np.float64):
        u = float(np.finfo(dtype).eps)
        row = re.search(rf"{dtype.__name__}\s+(\S+)\s+\S+\s+(\S+)\s+(\S+)\s+(\d+)\n", text)
        assert row, f"no {dtype.__name__} row in the table"
        printed_u, centred_best, one_sided_best, ratio = map(float, row.groups())
        assert printed_u == float(f"{u:.0e}") and ratio == round(u ** (-1 / 6))
        assert one_sided_best == float(f"{u ** 0.5:.0e}")
        assert centred_best == float(f"{u ** (2 / 3):.0e}")


def test_notebook_09s_hand_built_case_grows_although_rho_is_below_one():
    """'rho < 1 ... guarantees vanishing only in the long run and in the linear regime': the 2x2
    case whose powers shrink while the product of its Jacobians 'grows by orders of magnitude',
    'two steps together act like one matrix whose spectral radius is above 1', and 'sigma_max of
    this W_aa is above 1'."""
    notebook = nbformat.read(notebook_path("09"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "It guarantees vanishing only in the long run and in the linear regime" in prose
    assert "grows by orders of magnitude" in prose
    rho, sigma = map(float, re.search(
        r"Waa: spectral radius ([\d.]+), largest singular value ([\d.]+)\n", text).groups())
    pair = float(re.search(r"two steps of Jacobians together: spectral radius ([\d.]+)",
                           text).group(1))
    power, product = map(float, re.search(
        r"after 40 steps: norm of Waa\^40 ([\d.]+), norm of the product of the 40 Jacobians "
        r"(\S+)\n", text).groups())
    assert rho < 1 < sigma and pair > 1, (rho, sigma, pair)
    assert power < 1 and product > 1e2, (power, product)


def test_ex05s_table_shows_the_gradient_shrinking_with_the_input_scale():
    """'with the same weights da_prev shrinks from row to row of the table', as 1 - a_t^2
    falls from close to 1."""
    notebook = nbformat.read(notebook_path("ex05"), as_version=4)
    text, prose = outputs(notebook), " ".join(markdown(notebook).split())
    assert "with the same weights `da_prev` shrinks from row to row of the table" in prose
    rows = [tuple(map(float, r)) for r in re.findall(
        r"^\s*([\d.]+) \|\s+([\d.]+) \|\s+([\d.]+)$", text, re.MULTILINE)]
    assert len(rows) >= 3, text
    scales, factors, sizes = zip(*rows, strict=True)
    assert list(scales) == sorted(scales) and factors[0] >= 0.95, rows
    assert all(b < a for a, b in zip(factors, factors[1:], strict=False)), rows
    assert all(b < a for a, b in zip(sizes, sizes[1:], strict=False)), rows


BELONGS = re.compile(r"Belongs to (.*?\))[.;]", re.DOTALL)
NOTEBOOK_LINK = re.compile(r"\[(\d\d) · ([^\]]+)\]\(\.\./notebooks/((\d\d)-[\w-]+\.ipynb)\)")


@pytest.mark.parametrize("path", sorted((NOTEBOOKS.parent / "solutions").glob("ex*.ipynb")),
                         ids=lambda p: p.stem)
def test_an_exercise_header_names_its_notebooks_as_they_title_themselves(path):
    """Each exercise's header links its notebooks as '[NN · <the notebook's own title>]
    (../notebooks/NN-slug.ipynb)', and every notebook it belongs to links back to it."""
    header = nbformat.read(path, as_version=4).cells[0].source
    links = NOTEBOOK_LINK.findall(header)
    assert links, f"{path.name}: no link to a notebook in its header"
    for number_, title, target, target_number in links:
        notebook = NOTEBOOKS / target
        assert notebook.is_file() and number_ == target_number, target
        own = nbformat.read(notebook, as_version=4).cells[0].source.splitlines()[0][2:].strip()
        assert title == own, f"{path.name} calls {target} {title!r}; its title is {own!r}"
    belongs = BELONGS.search(header)
    assert belongs, f"{path.name}: no 'Belongs to ...' sentence"
    for _, _, target, _ in NOTEBOOK_LINK.findall(belongs.group(1)):
        text = markdown(nbformat.read(NOTEBOOKS / target, as_version=4))
        assert f"../exercises/{path.name}" in text, f"{target} does not link {path.name}"


def test_notebook_10s_gru_in_chos_form_is_the_packages_gru():
    """'Their gate z says how much of the old state to keep, h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃_t
    ... so their z is exactly 1 - Γ_u': Cho et al.'s update, with z = 1 - Γ_u computed from the
    package's own gate, gives the package's GRU step; notebook 17's table says the same."""
    from rnnlesson import gru_cell_forward, init_gru_params

    prose = " ".join(markdown(nbformat.read(notebook_path("10"), as_version=4)).split())
    assert r"$$h_t = z \odot h_{t-1} + (1 - z) \odot \tilde{h}_t ,$$" in prose
    assert r"so their $z$ is exactly $1 - \Gamma_u$ (and $\Gamma_u = 1 - z$)" in prose
    assert "We write it as the Coursera course *Sequence Models* does" in prose
    table = markdown(nbformat.read(notebook_path("17"), as_version=4))
    header = next(line for line in table.splitlines()
                  if line.startswith("| ours |") and "Cho et al." in line)
    column = [c.strip() for c in header.split("|")].index("Cho et al. (2014)")
    update = next(line for line in table.splitlines() if line.startswith("| GRU update gate"))
    assert [c.strip() for c in update.split("|")][column] == r"$z$ $= 1 - \Gamma_u$"

    rng = np.random.default_rng(5)
    n_x, n_a, m = 3, 4, 6
    params = {k: v + 0.5 * rng.normal(size=v.shape)
              for k, v in init_gru_params(n_x, n_a, 2, seed=5).items()}
    xt, h_prev = rng.normal(size=(n_x, m)), np.tanh(rng.normal(size=(n_a, m)))
    a_next, _, (_, _, _, ut, cct, _, _) = gru_cell_forward(xt, h_prev, params)
    gamma_u = 1 / (1 + np.exp(-(params["Wu"] @ np.concatenate([h_prev, xt]) + params["bu"])))
    np.testing.assert_allclose(ut, gamma_u)
    z = 1 - gamma_u
    np.testing.assert_allclose(z * h_prev + (1 - z) * cct, a_next, rtol=1e-12, atol=1e-12)


def test_notebook_10s_lstm_legend_names_the_shapes_the_picture_draws():
    """'the circles multiply (×) or add (+), and the oval applies tanh to c_t': the shapes
    rnnlesson.cell_diagrams draws for the LSTM's element-wise parts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, Ellipse

    from rnnlesson.cell_diagrams import LSTM, draw_lstm

    prose = " ".join(markdown(nbformat.read(notebook_path("10"), as_version=4)).split())
    assert ("the white shapes are element-wise operations with no weights: the circles multiply "
            "(×) or add (+), and the oval applies tanh to $c_t$") in prose
    ax = draw_lstm()
    shapes = {p.get_gid()[len("part:"):]: type(p) for p in ax.patches
              if (p.get_gid() or "").startswith("part:")}
    plt.close(ax.figure)
    circles = {LSTM.parts[name].label for name, kind in shapes.items() if kind is Circle}
    ovals = [name for name, kind in shapes.items() if kind is Ellipse]
    assert circles == {"×", "+"}, circles
    assert [LSTM.parts[name].label for name in ovals] == ["tanh"], ovals
    (oval,) = ovals
    assert {s for w in LSTM.wires if w.to == oval for s in w.carries} == {"add"}  # c_t


def test_notebook_10s_next_cell_draws_what_the_prose_announces():
    """'The next cell prints the held-out accuracies as a table and draws them against the lag':
    the code cell right after that text prints the table and stores a figure."""
    notebook = nbformat.read(notebook_path("10"), as_version=4)
    (index,) = [i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown"
                and "The next cell prints the held-out accuracies as a table and draws them"
                in " ".join(c.source.split())]
    following = notebook.cells[index + 1]
    assert following.cell_type == "code"
    printed = "".join(o.get("text", "") for o in following.outputs)
    assert "held-out accuracy\nlag " in printed
    assert any("image/png" in o.get("data", {}) for o in following.outputs)
    assert "The figure after the next cell" not in markdown(notebook)


def test_exercise_15_shows_the_recursion_equal_to_all_alignments_and_a_product_underflowing():
    notebook = nbformat.read(NOTEBOOKS.parent / "solutions" / "ex15-ctc-forward.ipynb",
                             as_version=4)
    text = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    found = re.search(r"by the recursion: ([\d.]+), by all (\d+) alignments: ([\d.]+)", text)
    assert found and found[1] == found[3] and int(found[2]) == 3 ** 6
    assert "one alignment's product of probabilities as a float64: 0.0" in text
    prose = markdown(notebook)
    assert "comes out as 0" in prose and "800 frames" in prose
