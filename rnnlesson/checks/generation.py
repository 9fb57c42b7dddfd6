"""Checks of exercise 7: clipping gradients by their global norm, and sampling a sequence
from a one-to-many model by feeding each output back in.

Sampling is random, so nothing here compares a draw with a fixed answer: the checks measure
frequencies over thousands of draws against the model's own probabilities (with a tolerance
of five standard deviations), and use models built so that one symbol is almost certain.
"""

import ast

import numpy as np

from rnnlesson.checks._common import (
    assert_returns,
    call_on_copies,
    example_params,
    mistake,
    one_message,
    passed,
    shape_text,
    snapshot,
)
from rnnlesson.checks._differential import Probe, Spec, differential, numbers
from rnnlesson.generate import sample as reference_sample

NAME_CLIP = "clip_by_global_norm"
NAME_SAMPLE = "sample"


def example_grads(seed, scale):
    rng = np.random.default_rng(seed)
    shapes = {"dWax": (5, 3), "dWaa": (5, 5), "dba": (5, 1), "dWya": (2, 5), "dby": (2, 1)}
    return {key: scale * rng.normal(size=shape) for key, shape in shapes.items()}


def run_clip(fn, grads, max_norm):
    args = {"grads": snapshot(grads)}
    result = call_on_copies(fn, NAME_CLIP, args,
                            f"grads with keys {list(grads)} and max_norm = {max_norm}",
                            extra=(max_norm,), diagnose=divided_by_zero)
    clipped, norm = assert_returns(NAME_CLIP, result, 2, "clipped, norm")
    if clipped is args["grads"]:
        raise mistake(NAME_CLIP, "same-dict", f"{NAME_CLIP} returned the dict grads itself; "
                      "return a new dict, {key: g * factor for key, g in grads.items()}, so "
                      "that the caller's gradients are never changed through it.")
    if not isinstance(clipped, dict) or set(clipped) != set(grads):
        raise mistake(NAME_CLIP, "not-a-dict",
                      f"{NAME_CLIP}: clipped should be a dict with the same keys as "
                             f"grads ({', '.join(grads)}); received {shape_text(clipped)}"
                             + (f" with keys {list(clipped)}" if isinstance(clipped, dict)
                                else "") + ".")
    for key, g in grads.items():
        if np.shape(clipped[key]) != g.shape:
            raise mistake(NAME_CLIP, "wrong-shape",
                          f"{NAME_CLIP}: clipped['{key}'] should keep the shape "
                                 f"{g.shape} of grads['{key}'] (each clipped gradient is g "
                                 f"* factor), received {shape_text(clipped[key])}.")
        if not np.all(np.isfinite(clipped[key])):
            raise mistake(NAME_CLIP, "not-finite",
                          f"{NAME_CLIP}: clipped['{key}'] contains NaN or infinite "
                                 "values (a norm of 0 must not be divided by).")
    return clipped, norm


def divided_by_zero(error, line):
    if isinstance(error, ZeroDivisionError):
        return "zero-norm", (f"all-zero gradients have norm 0, and `{line}` divides by it "
                             "(ZeroDivisionError). Scale only when norm > max_norm; otherwise "
                             "return the gradients as they are.")
    return None


PER_ARRAY = [  # (how a message says it, the number of one array)
    ("sum of squares", lambda g: float(np.sum(g * g))),
    ("norm, sqrt of its sum of squares", lambda g: float(np.sqrt(np.sum(g * g)))),
    ("sum of absolute values", lambda g: float(np.sum(np.abs(g)))),
    ("largest absolute entry", lambda g: float(np.max(np.abs(g)))),
    ("mean of squares", lambda g: float(np.mean(g * g))),
    ("sum of entries", lambda g: float(np.sum(g)))]
ACROSS = [("the sum over the arrays", np.sum), ("the largest over the arrays", np.max),
          ("the mean over the arrays", np.mean)]
OUTER = [("", lambda v: v), ("the square root of ", np.sqrt), ("the square of ", np.square)]


def norm_reading(norm, grads):
    """What the learner's norm is, in words, when it is one of the numbers made of a per-array
    quantity, an aggregate over the arrays and a final square root or square (every such
    combination tried); None if it is none of them or the lecture's own."""
    values = list(grads.values())
    for outer, finish in OUTER:
        for across, combine in ACROSS:
            for per, of in PER_ARRAY:
                if (outer, across, per) == ("the square root of ", ACROSS[0][0],
                                            PER_ARRAY[0][0]):
                    continue  # the lecture's
                with np.errstate(all="ignore"):
                    value = float(finish(combine([of(g) for g in values])))
                if np.isfinite(value) and np.isclose(norm, value, rtol=1e-6, atol=1e-12):
                    why = {("", ACROSS[0][0], PER_ARRAY[0][0]): ": the square root is missing",
                           ("", ACROSS[0][0], PER_ARRAY[1][0]): ": the norms were added; "
                           "their squares add, sqrt(sum of each array's norm²)"}.get(
                               (outer, across, per), "")
                    return (f"{norm:.4f} = {outer}{across} of each array's {per}{why}")
    return None


@one_message(NAME_CLIP)
def common_factor(clipped, grads):
    """The one factor every clipped[k] is grads[k] times (the direction kept), or None."""
    factors = [float(np.sum(clipped[k] * g) / np.sum(g * g)) for k, g in grads.items()]
    same_direction = all(np.allclose(clipped[k], f * g) for (k, g), f
                         in zip(grads.items(), factors, strict=True))
    return factors[0] if same_direction and np.allclose(factors, factors[0]) else None


def clip_verdict(fn, direction, norm, max_norm):
    """What fn does to gradients of the given direction scaled to global norm `norm`:
    "same" (returned unchanged), "clip" (scaled to global norm max_norm, direction kept) or
    "other"."""
    total = float(np.sqrt(sum(np.sum(g * g) for g in direction.values())))
    grads = {key: g * (norm / total) for key, g in direction.items()}
    clipped, _ = run_clip(fn, grads, max_norm)
    if all(np.allclose(clipped[key], g, rtol=1e-9, atol=0) for key, g in grads.items()):
        return "same"
    factor = common_factor(clipped, grads)
    return "clip" if factor is not None and np.isclose(factor * norm, max_norm) else "other"


def clipping_threshold(fn, max_norm):
    """The global norm τ at which fn starts clipping, when it leaves every gradient below τ
    unchanged and scales every one above it to max_norm, as the lecture's does for τ =
    max_norm: read on norms from max_norm / 8 to 8 max_norm, then bisected. None when fn does
    not switch once, from unchanged to clipped, within that range."""
    direction = example_grads(seed=11, scale=1.0)
    # 48 norms, max_norm not among them: at max_norm itself clipped and unchanged agree
    norms = max_norm * np.geomspace(1 / 8, 8, 48)
    verdicts = [clip_verdict(fn, direction, n, max_norm) for n in norms]
    if "other" in verdicts or verdicts[0] != "same" or verdicts[-1] != "clip":
        return None
    switch = verdicts.index("clip")
    if "same" in verdicts[switch:]:
        return None
    low, high = norms[switch - 1], norms[switch]
    for _ in range(40):
        middle = (low + high) / 2
        if clip_verdict(fn, direction, middle, max_norm) == "clip":
            high = middle
        else:
            low = middle
    return high


def check_clip_threshold(fn, max_norm):
    """The mistake of a condition that clips from another norm than max_norm."""
    tau = clipping_threshold(fn, max_norm)
    if tau is None or np.isclose(tau, max_norm, rtol=1e-6):
        return
    if tau > max_norm:
        raise mistake(NAME_CLIP, "clipped-wrong",
                      f"{NAME_CLIP}: the condition starts clipping too late: gradients whose "
                      f"global norm lies between max_norm = {max_norm:g} and about {tau:.3g} "
                      f"({tau / max_norm:.3g} max_norm) come back unchanged, and only larger "
                      "ones are clipped. Scale whenever norm > max_norm.")
    raise mistake(NAME_CLIP, "clipped-wrong",
                  f"{NAME_CLIP}: the condition starts clipping too early: gradients whose "
                  f"global norm lies between about {tau:.3g} ({tau / max_norm:.3g} max_norm) "
                  f"and max_norm = {max_norm:g} are scaled up to max_norm. Scale only when "
                  "norm > max_norm, and return smaller gradients unchanged.")


def check_clip_by_global_norm(clip_by_global_norm):
    """Check a learner's clip_by_global_norm(grads, max_norm) -> (clipped, norm).

    norm = sqrt(sum of every squared entry of every gradient), before clipping. When it
    exceeds max_norm every gradient is multiplied by the same max_norm / norm (the direction
    is kept); otherwise they are returned unchanged. grads is never modified.
    """
    grads = example_grads(seed=7, scale=2.0)
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    max_norm = 1.0
    clipped, norm = run_clip(clip_by_global_norm, grads, max_norm)
    if not np.isscalar(norm) or not np.isclose(norm, total):
        own = {key: float(np.linalg.norm(g)) for key, g in grads.items()}
        hint = ""
        if np.isscalar(norm) and any(np.isclose(norm, v) for v in own.values()):
            hint = " It equals the norm of one array only; take all of them together."
        elif np.isscalar(norm):
            reading = norm_reading(float(norm), grads)
            hint = f" Yours is {reading}." if reading else ""
        raise mistake(NAME_CLIP, "norm-wrong",
                      f"{NAME_CLIP}: norm should be the global norm before clipping, "
                             "sqrt of the sum of the squares of every entry of every gradient"
                             f" ({total:.4f} here); received {norm!r}.{hint}")
    per_entry = {key: np.clip(g, -max_norm, max_norm) for key, g in grads.items()}
    per_array = {key: g * min(1.0, max_norm / np.linalg.norm(g)) for key, g in grads.items()}
    if all(np.allclose(clipped[key], per_entry[key]) for key in grads):
        raise mistake(NAME_CLIP, "clipped-per-entry",
                      f"{NAME_CLIP}: each entry was clipped to [-max_norm, max_norm] on "
                             "its own (np.clip), which changes the direction of the gradient. "
                             "Clip by the global norm: multiply every gradient by the same "
                             "factor max_norm / norm.")
    if all(np.allclose(clipped[key], per_array[key]) for key in grads):
        raise mistake(NAME_CLIP, "clipped-per-array",
                      f"{NAME_CLIP}: each array was scaled by its own norm. Clip by the "
                             "global norm: one norm over all gradients together, one factor "
                             "max_norm / norm for all of them.")
    check_clip_threshold(clip_by_global_norm, max_norm)
    general(clip_by_global_norm)
    if common_factor(clipped, grads) is None:
        raise mistake(NAME_CLIP, "direction-changed",
                      f"{NAME_CLIP}: the direction changed: clipping by the global norm "
                             "multiplies every gradient by one common factor max_norm / norm.")
    new_norm = float(np.sqrt(sum(np.sum(np.asarray(g) ** 2) for g in clipped.values())))
    if not np.isclose(new_norm, max_norm):
        raise mistake(NAME_CLIP, "norm-after-wrong",
                      f"{NAME_CLIP}: after clipping the global norm should be max_norm = "
                             f"{max_norm}, it is {new_norm:.4f} (the factor is max_norm / norm)"
                             ".")

    small = example_grads(seed=8, scale=0.01)
    clipped, _ = run_clip(clip_by_global_norm, small, max_norm)
    if not all(np.allclose(clipped[key], small[key]) for key in small):
        general(clip_by_global_norm)
        raise mistake(NAME_CLIP, "scaled-up",
                      f"{NAME_CLIP}: gradients whose global norm is already below "
                             "max_norm must come back unchanged (no scaling up).")
    zeros = {key: np.zeros_like(g) for key, g in small.items()}
    clipped, norm = run_clip(clip_by_global_norm, zeros, max_norm)
    if norm != 0 or not all(np.all(clipped[key] == 0) for key in zeros):
        raise mistake(NAME_CLIP, "zero-norm",
                      f"{NAME_CLIP}: all-zero gradients should give norm 0 and stay "
                             "zero.")
    general(clip_by_global_norm)
    passed(NAME_CLIP)


CHOICE = ("a", "size", "replace", "p")  # numpy's choice(a, size=None, replace=True, p=None)


def choice_positional(error, line):
    """A crash on a line that hands numpy's choice more than `a` by position: its second
    positional parameter is size, its third replace; p, the probabilities, only by name."""
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        name = getattr(node, "func", None)
        name = getattr(name, "attr", getattr(name, "id", None))  # rng.choice or choice
        if isinstance(node, ast.Call) and name == "choice" and 1 < len(node.args) <= len(CHOICE):
            given = ", ".join(f"{ast.unparse(arg)} went to {param}"
                              for arg, param in zip(node.args[1:], CHOICE[1:], strict=False))
            return "choice-positional", (
                f"`{line.strip()}` stopped with {type(error).__name__}: numpy's choice is "
                "choice(a, size=None, replace=True, p=None), so by position " + given
                + ". Pass the probabilities by name: rng.choice(n_y, p=p).")
    return None


def run_sample(fn, params, n, start, temperature, seed):
    args = {"params": snapshot(params)}
    n_y = params["Wya"].shape[0]
    ids = call_on_copies(fn, NAME_SAMPLE, args,
                         f"n = {n}, start = {start}, temperature = {temperature}, seed = {seed} "
                         f"and params with n_x = n_y = {n_y}, n_a = {params['Waa'].shape[0]}",
                         extra=(n, start, temperature, seed), diagnose=choice_positional)
    if not isinstance(ids, np.ndarray):
        raise mistake(NAME_SAMPLE, "not-an-array", f"{NAME_SAMPLE} should return a numpy int "
                      f"array of shape (n,) = ({n},); received {shape_text(ids)}. "
                      "np.array(ids) turns a list into one.")
    if ids.shape == (n + 1,) and ids[0] == start:
        raise mistake(NAME_SAMPLE, "start-in-output", f"{NAME_SAMPLE}: the result starts with "
                      f"start = {start} and holds n + 1 = {n + 1} ids; return only the n drawn "
                      "symbols, not the start symbol.")
    if ids.shape != (n,):
        raise mistake(NAME_SAMPLE, "wrong-length",
                      f"{NAME_SAMPLE}(params, n={n}, ...) should return n = {n} symbol "
                             f"ids, an array of shape (n,) = ({n},); received "
                             f"{shape_text(ids)}.")
    if not np.issubdtype(ids.dtype, np.integer):
        raise mistake(NAME_SAMPLE, "ids-not-ints",
                      f"{NAME_SAMPLE}: the ids should be integers, received dtype "
                             f"{ids.dtype}.")
    if ids.min() < 0 or ids.max() >= n_y:
        raise mistake(NAME_SAMPLE, "ids-out-of-range",
                      f"{NAME_SAMPLE}: ids should lie in [0, n_y) = [0, {n_y}); received "
                             f"values from {ids.min()} to {ids.max()}.")
    return ids


def fixed_distribution(p, n_a=3):
    """A model whose prediction is p at every step, whatever it reads (Wax = Waa = Wya = 0)."""
    n_y = len(p)
    return {"Wax": np.zeros((n_a, n_y)), "Waa": np.zeros((n_a, n_a)), "ba": np.zeros((n_a, 1)),
            "Wya": np.zeros((n_y, n_a)), "by": np.log(np.asarray(p, dtype=float))[:, None]}


def successor_model(n_y, strength=20.0):
    """A model that (almost surely, p > 1 - 1e-7) outputs symbol i + 1 after reading i."""
    eye = np.eye(n_y)
    return {"Wax": 5.0 * eye, "Waa": np.zeros((n_y, n_y)), "ba": np.zeros((n_y, 1)),
            "Wya": strength * np.roll(eye, 1, axis=0), "by": np.zeros((n_y, 1))}


def counting_model(n_y, strength=20.0):
    """A model that (almost surely) outputs the number of 1s in the x it reads (up to
    n_y - 1): unit j of a is +1 when x holds more than j ones, -1 otherwise (Waa = 0), and
    symbol c's logit is strength * (a_{c-1} - a_c)."""
    n_a = n_y
    up = np.eye(n_y) - np.eye(n_y, k=-1)  # logit_c = a_{c-1} - a_c (a_{-1} = +1 via by)
    return {"Wax": 5.0 * np.ones((n_a, n_y)), "Waa": np.zeros((n_a, n_a)),
            "ba": -5.0 * (np.arange(n_a)[:, None] + 0.5),
            "Wya": -strength * up, "by": strength * np.eye(n_y)[:, :1]}


def decisive_params(n_y=6, n_a=8, n=25, margin=1.0):
    """Random params whose greedy path from symbol 0 keeps its best logit at least margin
    above the second best at every step, so at temperature 0.05 the best symbol is drawn
    with probability above 1 - 1e-7 (the draw is all but certain)."""
    for seed in range(200):
        params = example_params(n_y, n_a, n_y, seed=seed, scale=1.0)
        params["Wya"] = 3.0 * params["Wya"]
        a, ids, ok = np.zeros((n_a, 1)), np.array([0]), True
        for _ in range(n):
            a = np.tanh(params["Waa"] @ a + params["Wax"][:, ids] + params["ba"])
            z = np.sort((params["Wya"] @ a + params["by"])[:, 0])
            ok = ok and z[-1] - z[-2] >= margin
            ids = np.array([np.argmax(params["Wya"] @ a + params["by"])])
        if ok:
            return params
    raise RuntimeError("no decisive example found")  # pragma: no cover


def frequencies(ids, n_y):
    return np.bincount(ids, minlength=n_y) / len(ids)


@one_message(NAME_SAMPLE)
def check_sample(sample):
    """Check a learner's sample(params, n, start, temperature, seed) -> ids (n,).

    Checks the length and range of the ids, that params is left unchanged, that a seed
    reproduces a sequence and different seeds give different ones, that the draws follow the
    model's probabilities (measured over thousands of draws, not matched exactly), that the
    temperature sharpens (below 1) or flattens (above 1) them as softmax(z / T) does, and that
    each drawn symbol and the hidden state are fed into the next step.
    """
    params = example_params(5, 8, 5, seed=9)
    first = run_sample(sample, params, 30, 1, 1.0, 0)
    again = run_sample(sample, params, 30, 1, 1.0, 0)
    if not np.array_equal(first, again):
        raise mistake(NAME_SAMPLE, "not-seeded",
                      f"{NAME_SAMPLE}: two calls with the same seed gave different "
                             "sequences. Draw from rng = np.random.default_rng(seed), made "
                             "inside sample.")
    others = [run_sample(sample, params, 30, 1, 1.0, seed) for seed in range(1, 6)]
    if all(np.array_equal(first, other) for other in others):
        raise mistake(NAME_SAMPLE, "argmax",
                      f"{NAME_SAMPLE}: six different seeds gave the same sequence, as "
                             "taking the argmax would. Sampling draws each symbol at random "
                             "with the probabilities ŷ (e.g. rng.choice(n_y, p=y.ravel())).")

    p = np.array([0.45, 0.25, 0.15, 0.1, 0.05])
    model, n = fixed_distribution(p), 4000
    for temperature in (1.0, 0.5, 2.0):
        q = p ** (1 / temperature)
        q = q / q.sum()
        ids = run_sample(sample, model, n, 0, temperature, 11)
        got = frequencies(ids, len(p))
        tolerance = 5 * np.sqrt(q * (1 - q) / n)
        if np.all(np.abs(got - q) <= tolerance):
            continue
        constant = {int(run_sample(sample, model, 20, 0, temperature, seed)[0])
                    for seed in range(12, 20)} if np.all(ids == ids[0]) else set()
        if len(constant) > 1:
            raise mistake(NAME_SAMPLE, "rng-made-every-step",
                          f"{NAME_SAMPLE}: with a model whose prediction never changes, every "
                          "draw of a sequence is the same symbol, and another seed gives "
                          "another one: the rng is made again at every step, so each step "
                          "repeats the first draw. Make rng = np.random.default_rng(seed) "
                          "once, before the loop.")
        if got[0] == 1.0:
            raise mistake(NAME_SAMPLE, "argmax",
                          f"{NAME_SAMPLE}: every draw was symbol 0, the most likely one, "
                                 "as taking the argmax would give. Draw at random with the "
                                 "probabilities ŷ instead.")
        if temperature != 1.0 and np.all(np.abs(got - p) <= 5 * np.sqrt(p * (1 - p) / n)):
            raise mistake(NAME_SAMPLE, "temperature-ignored",
                          f"{NAME_SAMPLE}: temperature {temperature} has no effect: the "
                                 "draws still follow softmax(z). Use softmax(z / temperature).")
        wrong_way = p ** temperature / np.sum(p ** temperature)
        if np.all(np.abs(got - wrong_way) <= 5 * np.sqrt(wrong_way * (1 - wrong_way) / n)):
            raise mistake(NAME_SAMPLE, "temperature-backwards",
                          f"{NAME_SAMPLE}: the temperature works backwards: divide the "
                                 "logits by it, softmax(z / temperature), so that below 1 the "
                                 "distribution gets sharper and above 1 flatter.")
        readings = {  # what else the draws may follow, and what that says
            "by-missing": (np.full(len(p), 1 / len(p)),
                           "your draws are uniform, yet this model's prediction comes from by "
                           "alone (Wya = 0): your logits leave out the bias, z = Wya a_t + by."),
            "softmax-twice": (np.exp(q) / np.exp(q).sum(),
                              "your draws follow softmax(ŷ), a softmax applied to "
                              "probabilities: take the softmax once, of the logits z / T."),
        }
        for slug, (r, text) in readings.items():
            if np.all(np.abs(got - r) <= 5 * np.sqrt(r * (1 - r) / n)):
                raise mistake(NAME_SAMPLE, slug, f"{NAME_SAMPLE}: at temperature {temperature}, "
                              f"over {n} draws from a model whose prediction is always "
                              f"{p.tolist()}, {text}")
        raise mistake(NAME_SAMPLE, "wrong-distribution",
            f"{NAME_SAMPLE}: at temperature {temperature}, over {n} draws from a model whose "
            f"prediction is always {p.tolist()}, the frequencies should be close to "
            f"{np.round(q, 3).tolist()}; yours are {np.round(got, 3).tolist()}.")

    n_y = 6
    got = run_sample(sample, successor_model(n_y), 12, 2, 1.0, 0)
    expected = (np.arange(3, 15)) % n_y
    if not np.array_equal(got, expected):
        if got[0] == 2 and np.array_equal(got[1:], expected[:-1]):
            raise mistake(NAME_SAMPLE, "start-in-output", f"{NAME_SAMPLE}: the result starts "
                          "with the start symbol (2 here) and drops the last draw; return the n "
                          "drawn symbols only: the first one is drawn after reading start.")
        hint = ""
        if np.all(got == 3):
            hint = " Every step read the start symbol again."
        # what each step read, measured: a model that answers the number of 1s in its x
        counts = run_sample(sample, counting_model(n_y), 12, 2, 1.0, 0)
        if counts[0] == 1 and np.any(counts != 1):
            t = int(np.argmax(counts != 1))
            what = ("no 1 at all" if counts[t] == 0 else f"{counts[t]} ones"
                    + (" or more" if counts[t] == n_y - 1 else ""))
            raise mistake(NAME_SAMPLE, "input-not-one-hot", f"{NAME_SAMPLE}: at step {t} the "
                          f"input x holds {what}: with a model that answers the number of 1s "
                          f"in x, yours gave {counts.tolist()} (a one-hot x gives 1 at every "
                          "step). "
                          + ("The 1s of earlier symbols stay in x: make a fresh "
                             "np.zeros((n_y, 1)) at every step, then set the drawn symbol's 1."
                             if counts[t] > 1 else "Set x[symbol] = 1 for the drawn symbol."))
        raise mistake(NAME_SAMPLE, "not-fed-back",
                      f"{NAME_SAMPLE}: each drawn symbol must be the next step's input "
                             "(as a one-hot column x). With a model that (almost surely) "
                             "answers i + 1 after reading i, starting from 2 should give "
                             f"{expected.tolist()}; yours gave {got.tolist()}.{hint}")

    params = decisive_params()
    got = run_sample(sample, params, 25, 0, 0.05, 0)
    expected = reference_sample(params, 25, 0, greedy=True)
    if not np.array_equal(got, expected):
        step = int(np.argmax(got != expected))
        raise mistake(NAME_SAMPLE, "state-not-carried",
                      f"{NAME_SAMPLE}: at temperature 0.05 this model draws its most "
                             "likely symbol with probability above 1 - 1e-7 at every step, yet "
                             f"your sequence leaves that path at step {step}. Carry the hidden "
                             "state from step to step (a_prev = a_next) and feed back the drawn "
                             "symbol.")
    passed(NAME_SAMPLE)


# --- the general check of clip_by_global_norm (random gradients, the smallest failing case) ---

def build_clip(sizes, rng, simple):
    """grads: `arrays` arrays of shape (rows, cols); max_norm near their global norm."""
    draw = numbers(rng, simple)
    grads = {f"dW{i}": draw((sizes["rows"], sizes["cols"])) for i in range(sizes["arrays"])}
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    max_norm = 1.0 if simple else float(total * rng.choice([0.25, 0.5, 2.0]) + 0.1)
    return {"grads": grads, "max_norm": max_norm}


def clip_outputs(clipped, norm):
    return {"clipped": np.concatenate([np.ravel(g) for g in clipped.values()]),
            "norm": float(norm)}


def reference_clip(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    factor = max_norm / norm if norm > max_norm else 1.0
    return clip_outputs({key: g * factor for key, g in grads.items()}, norm)


def read_clip(result, inputs):
    clipped, norm = assert_returns(NAME_CLIP, result, 2, "clipped, norm")
    grads = inputs["grads"]
    if not isinstance(clipped, dict) or set(clipped) != set(grads) or any(
            np.shape(clipped[key]) != g.shape for key, g in grads.items()):
        raise mistake(NAME_CLIP, "not-a-dict", f"{NAME_CLIP}: clipped should be a dict of "
                      f"arrays shaped like grads ({', '.join(grads)}); received "
                      f"{shape_text(clipped)}.")
    if not np.isscalar(norm) and np.shape(norm) != ():
        raise mistake(NAME_CLIP, "norm-wrong", f"{NAME_CLIP}: norm should be one number, the "
                      f"global norm; received {shape_text(norm)}.")
    return clip_outputs({key: np.asarray(clipped[key], dtype=float) for key in grads}, norm)


def far_below(inputs):
    """max_norm far above the global norm: nothing to clip."""
    return {**inputs, "max_norm": 1e6}


CLIP_SPEC = Spec(
    NAME_CLIP, {"arrays": (1, 3), "rows": (1, 3), "cols": (1, 2)},
    build_clip, reference_clip, read_clip,
    terms={"norm": "the global norm: sqrt of the sum of the squares of every entry of every "
                   "gradient g in grads",
           "factor": "the factor max_norm / norm that every gradient is multiplied by",
           "condition": "the condition: scale only when norm > max_norm, else leave the gradients "
                   "as they are",
           "gradients": "the clipped gradients: each g of grads (same key, same sign) times "
                        "the factor"},
    depends={"norm": {"norm"}, "clipped": {"norm", "factor", "condition", "gradients"}},
    probes=[Probe("with max_norm far above the norm", far_below,
                  frozenset({"condition", "gradients"}))],
    hint="grads is a dict: go through grads.values() or grads.items().")


def general(fn):
    """The general check of clip_by_global_norm."""
    differential(CLIP_SPEC, fn)
