"""Checks of exercise 2: which topology a task needs, and the shapes of its arrays in the
lecture's layout: a sequence batch is (features, m, steps), a single vector per example is
(features, m), predictions ŷ have n_y class probabilities in the first axis.
"""

import re

import numpy as np

from rnnlesson.checks._common import CheckFailure, call, mistake, one_message, passed
from rnnlesson.checks._differential import Spec, differential
from rnnlesson.shapes import TOPOLOGIES, array_shapes

# What each task reads and writes: (topology, n_x size key, n_y size key or a number,
# T_x size key or None, T_y size key or None), and a hint about the topology.
TASKS = {
    "translation": ("many-to-many (encoder-decoder)", "english_words", "french_words",
                    "english_length", "french_length",
                    "a whole English sentence goes in and a French sentence comes out: two "
                    "sequences, whose lengths differ and whose words do not line up one to one"),
    "sentiment": ("many-to-one", "review_words", 2, "review_length", None,
                  "a sequence of words goes in; one verdict (positive or negative) comes out"),
    "speech": ("many-to-many (aligned)", "audio_features", "phonemes", "frames", "frames",
               "one phoneme label comes out for every frame that goes in"),
    "image_captions": ("one-to-many", "image_features", "caption_words", None,
                       "caption_length",
                       "one feature vector per image goes in; a sequence of words comes out"),
    "chatbot": ("many-to-many (encoder-decoder)", "chat_words", "chat_words",
                "question_length", "reply_length",
                "a question (a sequence) goes in and a reply (another sequence, of its own "
                "length) comes out once the question has been read"),
}

NAME = "task_shapes"
SIZES = {
    "m": 32, "english_words": 5000, "french_words": 6000, "english_length": 12,
    "french_length": 15, "review_words": 8000, "review_length": 40, "audio_features": 13,
    "phonemes": 40, "frames": 100, "image_features": 512, "caption_words": 3000,
    "caption_length": 16, "chat_words": 4000, "question_length": 10, "reply_length": 14,
}


def normalise(name):
    """'Many to many (encoder decoder)' -> 'manytomanyencoderdecoder'."""
    return re.sub(r"[^a-z]", "", str(name).lower())


def expected_answer(task, sizes):
    """{"topology", "x", "y_pred"} for one task, from rnnlesson.diagrams.array_shapes."""
    topology, n_x, n_y, T_x, T_y, _ = TASKS[task]
    n_y = sizes[n_y] if isinstance(n_y, str) else n_y
    shapes = array_shapes(topology, sizes[n_x], n_y, sizes["m"],
                          sizes[T_x] if T_x else 1, sizes[T_y] if T_y else 1)
    return {"topology": topology, "x": shapes["x"], "y_pred": shapes["y_pred"]}


def other_sizes():
    """Sizes that differ from each other, to catch numbers hard-coded or in the wrong place."""
    values = np.random.default_rng(12).permutation(np.arange(17, 17 + 3 * len(SIZES), 3))
    sizes = {key: int(v) for key, v in zip(SIZES, values, strict=True)}
    return sizes


def axis_names(task, which):
    """Names of the sizes along each axis, e.g. ('english_words', 'm', 'english_length')."""
    topology, n_x, n_y, T_x, T_y, _ = TASKS[task]
    if which == "x":
        return (n_x, "m") if T_x is None else (n_x, "m", T_x)
    n_y = n_y if isinstance(n_y, str) else f"{n_y} classes"
    return (n_y, "m") if T_y is None else (n_y, "m", T_y)


def check_shape(task, which, got, expected, sizes=None):
    names = axis_names(task, which)
    what = "input x" if which == "x" else "prediction y_pred"
    spelled = "(" + ", ".join(names) + ")"
    if not isinstance(got, tuple) or not all(isinstance(v, (int, np.integer)) for v in got):
        raise mistake(NAME, "shape-not-a-tuple", f"{task}: the {what} shape should be a tuple "
                      f"of ints, like numpy's .shape: {spelled} = {expected}; received "
                      f"{got!r}" + (f" (a {type(got).__name__})" if not isinstance(got, tuple)
                                    else "") + ".")
    if got == expected:
        return
    if len(got) != len(expected):
        if len(expected) == 3:
            raise mistake(NAME, "time-axis-missing", f"{task}: the {what} is a sequence: "
                          f"(features, m, steps), three axes, here {spelled} = {expected}; you "
                          f"gave {len(got)} axes {got}.")
        raise mistake(NAME, "time-axis-extra", f"{task}: the {what} is one vector per example, "
                      f"no time axis: (features, m), here {spelled} = {expected}; you gave "
                      f"{len(got)} axes {got}.")
    if sorted(got) == sorted(expected):
        raise mistake(NAME, "axes-order", f"{task}: the {what} has the right sizes in the wrong "
                      "order. The lecture's layout is (features, m, steps): here "
                      f"{spelled} = {expected}; received {got}.")
    for axis, (g, e, n) in enumerate(zip(got, expected, names, strict=True)):
        if g != e:
            used = [k for k, v in (sizes or {}).items() if v == g and k != n]
            raise mistake(NAME, "wrong-size", f"{task}: axis {axis} of the {what} should be "
                          f"{n} = {e} (shape {spelled} = {expected}); received {g} in {got}"
                          + (f", the value of sizes[{used[0]!r}]" if len(used) == 1 else "")
                          + ".")


@one_message(NAME)
def check_task_shapes(task_shapes, task):
    """Check task_shapes(sizes)[task] = {"topology": name, "x": shape, "y_pred": shape}.

    task: one of "translation", "sentiment", "speech", "image_captions", "chatbot".
    The answer is checked with the exercise's sizes and with other, all different, sizes, so
    each number must come from the right entry of sizes. The topology must be spelled as
    rnnlesson.diagrams.draw_topology takes it.
    """
    check_answer(task_shapes, task, dict(SIZES))
    try:
        check_answer(task_shapes, task, other_sizes())
        differential(spec_for(task), task_shapes)
    except CheckFailure as err:
        message = str(err).rsplit("\n", 1)[0]
        raise CheckFailure(err.mistake if err.mistake.endswith(("uses-reference", "error"))
                           else "ex02/hard-coded-sizes",
                           f"{message} (This was with sizes other than the exercise's: take "
                           "every number from the sizes argument instead of writing it in.)"
                           ) from None
    passed(f"task_shapes['{task}']")


def check_answer(task_shapes, task, sizes):
    """One round of check_task_shapes, with the given sizes."""
    answers = call(task_shapes, NAME, (dict(sizes),), f"sizes = {sizes}")
    if not isinstance(answers, dict) or task not in answers:
        raise mistake(NAME, "task-missing", f"task_shapes(sizes) should return a dict with a "
                      f"key {task!r}; received {type(answers).__name__}"
                      + (f" with keys {list(answers)}" if isinstance(answers, dict) else "")
                      + ".")
    answer = answers[task]
    if not isinstance(answer, dict) or {"topology", "x", "y_pred"} - set(answer):
        raise mistake(NAME, "answer-not-a-dict", f"{task}: the answer should be a dict with keys"
                      f" 'topology', 'x' and 'y_pred'; received {answer!r}.")
    expected = expected_answer(task, sizes)
    topology = answer["topology"]
    if topology not in TOPOLOGIES:
        spelled = [t for t in TOPOLOGIES if normalise(t) == normalise(topology)]
        if spelled:
            raise mistake(NAME, "topology-spelling", f"{task}: write the topology exactly as "
                          f"draw_topology takes it, {spelled[0]!r}; received {topology!r}.")
        raise mistake(NAME, "unknown-topology", f"{task}: the topology should be one of "
                      f"{list(TOPOLOGIES)}; received {topology!r}.")
    if topology != expected["topology"]:
        raise mistake(NAME, "wrong-topology", f"{task}: {topology!r} is not the right topology. "
                      f"Think about what goes in and out: {TASKS[task][5]}.")
    check_shape(task, "x", answer["x"], expected["x"], sizes)
    check_shape(task, "y_pred", answer["y_pred"], expected["y_pred"], sizes)


def distinct_sizes(sizes, rng, simple):
    """{"sizes": every size of SIZES, all different} (the general check's input); simple:
    the smallest such numbers, 2, 3, 4, ... in a random order."""
    top = sizes["largest"]
    pool = np.arange(2, 2 + len(SIZES)) if simple else rng.choice(
        np.arange(2, max(top, len(SIZES) + 2)), size=len(SIZES), replace=False)
    return {"sizes": {key: int(v) for key, v in zip(SIZES, rng.permutation(pool),
                                                     strict=True)}}


def spec_for(task):
    """The general check of one task: random sizes, all different, so that each number of a
    shape is traced to the entry of sizes it came from (check_answer names the axis)."""

    def reference(sizes):
        return dict(expected_answer(task, sizes))

    def read(result, inputs):
        check_answer(lambda _: result, task, inputs["sizes"])  # every axis named, or passes
        return {key: result[task][key] for key in ("topology", "x", "y_pred")}

    return Spec(NAME, {"largest": (40, 400)}, distinct_sizes, reference, read,
                terms={"topology": "the topology", "x": "the input's shape",
                       "y_pred": "the prediction's shape"},
                depends={"topology": {"topology"}, "x": {"x"}, "y_pred": {"y_pred"}})
