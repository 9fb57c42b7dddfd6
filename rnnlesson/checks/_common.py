"""What every check shares: calling the learner's function, comparing arrays, spotting
arguments changed in place. A failure is always a `CheckFailure`, an ``AssertionError`` whose
message says what was expected, what arrived, and what to look at, and whose last line names
the mistake for the grader: ``[mistake: ex05/tanh-derivative-not-squared]``.
"""

import copy
import functools
import re
import warnings

import numpy as np

from rnnlesson._validate import describe
from rnnlesson.checks._crash import (  # noqa: F401
    broadcast_hint,
    explain,
    facts,
    learner_line,
    lecture_shapes,
)
from rnnlesson.checks._guard import Watch
from rnnlesson.gradcheck import numerical_gradient, rel_error
from rnnlesson.rnn import init_params

TOL = 1e-6  # relative error between two computations of the same thing in float64

# The exercise each checked function belongs to: the first half of a mistake's id.
EXERCISE = {
    "build_vocabulary": "ex01", "one_hot_sentence": "ex01", "encode_batch": "ex01",
    "task_shapes": "ex02", "rnn_cell_forward": "ex03", "rnn_forward": "ex04",
    "rnn_cell_backward": "ex05", "rnn_backward": "ex06", "bptt_gradient_check": "ex06",
    "clip_by_global_norm": "ex07", "sample": "ex07", "predict": "ex08",
    "train_sentiment": "ex08", "held_out_accuracy": "ex08", "rnn_backward_truncated": "ex09",
    "lstm_cell_forward": "ex10", "lstm_cell_backward": "ex11",
    "attention_context": "ex12", "beam_search": "ex13",
    "reverse_within_lengths": "ex14", "bidirectional_rnn_forward": "ex14",
    "ctc_forward": "ex15",
    "embedding_forward": "ex16", "embedding_backward": "ex16",
    "clipped_matches": "ex17", "brevity_penalty": "ex17", "corpus_bleu": "ex17",
}
TAG = re.compile(r"\[mistake: (ex\d\d/[a-z0-9-]+)\]")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CheckFailure(AssertionError):
    """A failed check. Shown as its message alone (no traceback) by IPython, so in
    JupyterLab, nbval and nbgrader's feedback; nbgrader still sees an error: no points.

    mistake: the stable id "exNN/slug" that the message's last line carries.
    """

    def __init__(self, mistake, message):
        super().__init__(f"{message}\n[mistake: {mistake}]")
        self.mistake, self.message = mistake, message

    def __reduce__(self):  # pickled (e.g. by a process pool) with both arguments
        return type(self), (self.mistake, self.message)

    def _render_traceback_(self):
        return str(self).splitlines()


def mistake(name, slug, message):
    """The CheckFailure for mistake slug of the function name (see EXERCISE), to raise."""
    return CheckFailure(f"{EXERCISE[name]}/{slug}", message)


def mistake_ids(text):
    """The mistake ids ("ex05/tanh-derivative-not-squared", ...) tagged in text, in order."""
    return TAG.findall(ANSI.sub("", str(text)))


def passed(name):
    """The one line printed when every check of a function passes."""
    print(f"{name}: all checks passed")


def example_params(n_x, n_a, n_y, seed=0, scale=0.5):
    """Parameters with non-zero biases and weights large enough for tanh to bend."""
    rng = np.random.default_rng(seed + 1000)
    params = init_params(n_x, n_a, n_y, seed=seed)
    return {key: value + scale * rng.normal(size=value.shape) for key, value in params.items()}


def shape_text(value):
    """A short description of a value for a learner's message: `_validate.describe` without
    the dtype."""
    return describe(value, dtype=False)


def line_of(error):
    """(line number, source line) of the learner's code where error was raised, or None: read
    from the traceback here, or, for an error raised in a grading sandbox, sent with it."""
    return getattr(error, "learner_line", None) or learner_line(error.__traceback__)


def crash_of(error):
    """What the learner's line shows about error (see `_crash.facts`): read from the
    traceback, or, for an error raised in a grading sandbox, sent with it."""
    if hasattr(error, "crash"):
        return error.crash
    try:
        return facts(error.__traceback__)
    except Exception:  # a frame too strange to read (its source gone, a hostile value)
        return None


def where(error):
    line = line_of(error)
    if line is None:
        return ""
    number, source = line
    return f" at line {number} of your code" + (f" (`{source}`)" if source else "")


def call(fn, name, args, sizes, hint="Check the shapes of the arrays you combine.",
         diagnose=None, shapes=None):
    """fn(*args) for the learner's function name, with the checks' guarantees.

    - fn must not run the package's own answer: "uses-reference" (at home the profile hook of
      `_guard` sees it; in a grading sandbox the answer is not there, and calling it raises
      AnswerWithheld, see rnnlesson.grading.answer_key);
    - an exception becomes one message: what it was, at which line of the learner's code,
      the inputs' shapes (sizes, e.g. "xt (n_x, m) = (3, 4)") and what to look at (hint).
      diagnose(err, source_line) may name the mistake instead: it returns (slug, text) or None.
      Either message also gives the shapes of the arrays named on that line and, for one whose
      shape is not the lecture's (shapes: {name: (shape, letters)}, see `lecture_shapes`),
      the line that made it.
    """
    error = None
    with Watch(name if not getattr(fn, "in_sandbox", False) else None) as watch, \
            warnings.catch_warnings(record=True):  # a warning is no error: never on stderr
        warnings.simplefilter("always")
        try:
            result = fn(*args)
        except CheckFailure:
            raise
        except Exception as err:  # the learner's own error, reported below
            error = err
    if error is not None and type(error).__name__ == "AnswerWithheld":
        raise mistake(name, "uses-reference", f"your {name} calls the package's own version "
                      f"of what this exercise asks you to write{where(error)}. Write it "
                      "yourself, from numpy operations.")
    if watch.seen:
        what = ("the function this exercise asks you to write"
                if watch.seen.rsplit(".", 1)[-1].startswith(name) else
                "which does what this exercise asks you to write")
        raise mistake(name, "uses-reference", f"your {name} calls {watch.seen}, {what}. "
                      "Write it yourself, from numpy operations.")
    if error is None:
        return result
    if isinstance(error, NotImplementedError):
        raise mistake(name, "not-written", f"{name} is not written yet (it raised "
                      f"NotImplementedError{where(error)}): replace `raise "
                      "NotImplementedError()` with your code.")
    line = line_of(error)
    found = diagnose(error, line[1] if line else "") if diagnose else None
    if found:
        raise mistake(name, found[0], "\n".join([f"{name}: {found[1]}",
                                                 *explain(crash_of(error), shapes, False)]))
    said = " ".join(str(error).split())  # one line, whatever the error's text
    crash = crash_of(error)
    broadcast = broadcast_hint(said, (crash or {}).get("arrays"),
                               line[1] if line else None)
    raise mistake(name, "raises-error", "\n".join([
        f"your {name} raised {type(error).__name__}{where(error)}: {said}",
        *explain(crash, shapes, line is not None),
        *([broadcast] if broadcast else []),
        f"It was called with {sizes}. {hint}"]))


def one_message(name):
    """Decorate a check so that whatever goes wrong reaches the learner as one CheckFailure:
    a value so unexpected that comparing it crashes the check is reported, not our frames."""

    def decorate(check):
        @functools.wraps(check)
        def run(*args, **kwargs):
            try:
                return check(*args, **kwargs)
            except CheckFailure:
                raise
            except Exception as err:
                raise mistake(name, "unexpected-result", f"{name}: what your function returned "
                              f"could not be checked ({type(err).__name__}: {err}). Compare it "
                              "with what the exercise asks for: the docstring gives each "
                              "value's type and shape.") from None

        return run

    return decorate


def guarded(name, fn):
    """fn wrapped so that every call goes through `call`: for hidden tests that compare the
    learner's function with rnnlesson's directly."""

    def run(*args):
        return call(fn, name, args, "the hidden test's inputs")

    return run


def snapshot(value):
    """A deep copy, to find out later whether the learner's function changed value."""
    return copy.deepcopy(value)


def changed_part(before, after, path):
    """The path of the first array inside before/after (dicts, lists, tuples) that differs."""
    if isinstance(before, dict):
        for key in before:
            found = changed_part(before[key], after.get(key) if isinstance(after, dict)
                                 else None, f"{path}['{key}']")
            if found:
                return found
        return None
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(before):
            return path  # items inserted, removed or the list replaced
        for i, item in enumerate(before):
            found = changed_part(item, after[i], f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape \
                or not np.array_equal(before, after):
            return path
        return None
    if isinstance(before, (int, float, str, bool)) and before != after:
        return path  # a plain value replaced inside a list or dict
    return None


def assert_unchanged(name, originals, arguments):
    """originals: {argument name: snapshot before the call}; arguments: the same, after."""
    for arg, before in originals.items():
        path = changed_part(before, arguments[arg], arg)
        if path:
            raise mistake(name, "changes-its-input",
                          f"{name} modified its argument {path} in place. Leave the inputs as "
                          "they are: build new arrays (a = a + b rather than a += b, or copy "
                          "first).")


def assert_shape(name, what, value, shape, letters, hint=""):
    """value must be a float array of the given shape; letters spells it, e.g. '(n_a, m)'."""
    if not isinstance(value, np.ndarray):
        raise mistake(name, "not-an-array", f"{name}: {what} should be a numpy array of shape "
                      f"{letters} = {shape}, received {shape_text(value)}.")
    if value.shape != shape:
        transposed = value.shape == shape[::-1] and len(shape) > 1
        hint = hint or (" It looks transposed." if transposed else "")
        raise mistake(name, "transposed" if transposed else "wrong-shape",
                      f"{name}: {what} should have shape {letters} = {shape}, received "
                      f"{value.shape}.{hint}")
    if value.dtype.kind != "f":
        raise mistake(name, "not-float", f"{name}: {what} should hold floats; yours has dtype "
                      f"{value.dtype}. An array made with an int dtype (np.zeros(..., "
                      "dtype=int), or np.zeros_like of an int array) rounds every value "
                      "stored in it toward 0.")
    if not np.all(np.isfinite(value)):
        raise mistake(name, "not-finite", f"{name}: {what} contains NaN or infinite values.")


def assert_returns(name, result, count, names):
    """result must be the tuple of count values that the exercise's text names (names, e.g.
    "a_next, yt_pred, cache"): `return a, b, c` makes it. A list is refused like anything else
    that is not that tuple, in every exercise alike."""
    if isinstance(result, tuple) and len(result) == count:
        return result
    if isinstance(result, list) and len(result) == count:
        raise mistake(name, "wrong-return", f"{name} should return the tuple ({names}), as "
                      f"`return {names}` makes it; received a list of {count} values.")
    raise mistake(name, "wrong-return", f"{name} should return the tuple ({names}), {count} "
                  f"values; received {shape_text(result)}.")


def close(a, b, tol=TOL):
    """True when a and b are arrays of one shape that agree to a relative error below tol."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and rel_error(a, b) < tol


def error_text(a, b):
    """The relative error of a against b, formatted, for messages."""
    return f"relative error {rel_error(a, b):.1e}"


def call_on_copies(fn, name, args, sizes, hint="Check the shapes of the arrays you combine.",
                   extra=(), diagnose=None, shapes=None):
    """`call` fn(*args.values(), *extra), then check that fn changed none of args.

    args: the learner's inputs by name (copies the caller may lose); extra: plain values such
    as a max_norm or a seed, passed after them; shapes: as for `call`.
    """
    originals = snapshot(args)
    result = call(fn, name, (*args.values(), *extra), sizes, hint, diagnose, shapes)
    assert_unchanged(name, originals, args)
    return result


def numerical_gradients(loss, arrays, eps=1e-5):
    """Centred differences of loss() with respect to each array in the dict arrays.

    loss reads the arrays; each entry is nudged in place and restored.
    Returns {name: gradient shaped like the array}.
    """
    return {key: numerical_gradient(loss, value, eps) for key, value in arrays.items()}


def check_cache_tuple(name, cache, arrays, params_key, reader):
    """The cache should be the tuple (*arrays, params) that `reader` reads: arrays is a list of
    (name, expected array) pairs in order, and params a dict holding params_key. Raises the
    learner's CheckFailure (mistake "cache-wrong") naming the first item that differs."""
    names = [part_name for part_name, _ in arrays]
    message = (f"{name}: cache should be the tuple ({', '.join(names)}, params), what {reader} "
               "reads")
    if not isinstance(cache, tuple) or len(cache) != len(arrays) + 1:
        raise mistake(name, "cache-wrong", f"{message}; received {type(cache).__name__} of "
                      f"length {len(cache) if hasattr(cache, '__len__') else '?'}.")
    for i, (part, (part_name, expected)) in enumerate(zip(cache[:-1], arrays, strict=True)):
        if not isinstance(part, np.ndarray) or not close(part, expected):
            raise mistake(name, "cache-wrong", f"{message}; item {i} is not {part_name}.")
    if not isinstance(cache[-1], dict) or params_key not in cache[-1]:
        raise mistake(name, "cache-wrong",
                      f"{message}; item {len(arrays)} is not the params dict.")

