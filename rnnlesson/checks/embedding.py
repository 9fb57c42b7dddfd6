"""Checks of exercise 16: the embedding's forward pass (a lookup) and its backward pass (a sum
by word id).

    x[:, j, t] = E[:, ids[j, t]]                                     x (n_e, m, T_x)
    dE[:, i] = Σ dx[:, j, t] over every (j, t) with ids[j, t] == i  dE (n_e, n_vocab)

E (n_e, n_vocab) has a column per word; ids (m, T_x) holds one word id per example j and step
t; dx (n_e, m, T_x) is the gradient reaching each x_t. A word the batch never reads gets a zero
column.

The backward pass is checked on cases where ids repeat within a step, within an example and
across both, where one id is never read, and where m differs from T_x (and one where they are
equal, to tell ids read as (T_x, m) from dx flattened in another order than ids). A wrong dE is
compared with what each classic slip computes (repeated ids kept once, as `dE[:, ids] += dx`
does; one step or one example alone; ids or dx read along the wrong axes), so that the slip is
named; any other wrong answer gets the general check's message (`_differential`).
"""

import numpy as np

from rnnlesson.checks._common import (
    CheckFailure,
    assert_shape,
    call_on_copies,
    close,
    mistake,
    one_message,
    passed,
)
from rnnlesson.checks._differential import Probe, Spec, differential, numbers

FORWARD, BACKWARD = "embedding_forward", "embedding_backward"
FORWARD_HINT = ("E is (n_e, n_vocab), a column per word; ids is (m, T_x); x[:, j, t] is "
                "column ids[j, t] of E.")
BACKWARD_HINT = ("dx is (n_e, m, T_x) and ids (m, T_x): dx[:, j, t] belongs to the word "
                 "ids[j, t]; dE is (n_e, n_vocab), a column per word like E.")


def reference_forward(E, ids):
    """x (n_e, m, T_x): column ids[j, t] of E at [:, j, t]."""
    return E[:, ids]


def sum_by_id(columns, flat_ids, n_vocab):
    """(n_e, n_vocab): column i the sum of the columns (n_e, k) whose flat_ids (k,) equal i."""
    dE = np.zeros((columns.shape[0], n_vocab))
    np.add.at(dE.T, flat_ids, columns.T)
    return dE


def reference_backward(dx, ids, n_vocab):
    """dE (n_e, n_vocab): column i sums dx[:, j, t] over the (j, t) where ids[j, t] == i."""
    return sum_by_id(dx.reshape(dx.shape[0], -1), ids.ravel(), n_vocab)


# --- the forward pass -----------------------------------------------------------------------

def read_forward(result, E, ids):
    """x from what the learner returned, its form and shape checked."""
    n_e, n_vocab = E.shape
    m, T_x = ids.shape
    shape = (n_e, m, T_x)
    if isinstance(result, np.ndarray) and result.shape != shape:
        if result.shape == (m, T_x, n_vocab) and n_vocab != n_e:
            raise mistake(FORWARD, "rows-instead-of-columns", f"{FORWARD}: x should have shape "
                          f"(n_e, m, T_x) = {shape}; yours is {result.shape}, rows of E picked "
                          "by the ids (E[ids]). Each word is a column of E, (n_e, n_vocab): "
                          "x[:, j, t] = E[:, ids[j, t]], so x = E[:, ids].")
        if result.shape == (n_e, T_x, m) and m != T_x:
            raise mistake(FORWARD, "ids-transposed", f"{FORWARD}: x should have shape (n_e, m, "
                          f"T_x) = {shape}; yours is {result.shape}, as if ids were (T_x, m) "
                          "(ids.T). ids is (m, T_x): example j's word at step t is ids[j, t].")
        if result.shape == (m, T_x, n_e):
            raise mistake(FORWARD, "vector-axis-last", f"{FORWARD}: x should have shape (n_e, "
                          f"m, T_x) = {shape}; yours is {result.shape}, each word's vector on "
                          "the last axis (as E.T[ids] makes it). A sequence batch keeps the "
                          "features first: x[:, j, t] = E[:, ids[j, t]], so x = E[:, ids].")
    assert_shape(FORWARD, "x", result, shape, "(n_e, m, T_x)")
    return result


def rows_read(error, line):
    """The slip behind an IndexError on E's first axis: E indexed by rows (E[ids])."""
    if isinstance(error, IndexError) and "axis 0" in str(error) and "E[" in line.replace(" ", ""):
        return "rows-instead-of-columns", (
            f"your line `{line.strip()}` indexes E's first axis, its n_e rows, with the word "
            "ids. Each word is a column of E, (n_e, n_vocab): x[:, j, t] = E[:, ids[j, t]], "
            "so x = E[:, ids].")
    return None


def run_forward(fn, E, ids):
    result = call_on_copies(fn, FORWARD, {"E": E.copy(), "ids": ids.copy()},
                            f"E (n_e, n_vocab) = {E.shape}, ids (m, T_x) = {ids.shape}",
                            FORWARD_HINT, diagnose=rows_read)
    return read_forward(result, E, ids)


def check_forward_case(fn, E, ids):
    x = run_forward(fn, E, ids)
    expected = reference_forward(E, ids)
    if close(x, expected):
        return
    if ids.shape[0] == ids.shape[1] and close(x, E[:, ids.T]):
        raise mistake(FORWARD, "ids-transposed", f"{FORWARD} with m = T_x = {ids.shape[0]}: "
                      "your x[:, j, t] is E[:, ids[t, j]], as if ids were (T_x, m). ids is "
                      "(m, T_x): example j's word at step t is ids[j, t].")
    bad = np.argwhere(~np.isclose(x, expected).all(axis=0))[0]
    j, t = (int(k) for k in bad)
    raise mistake(FORWARD, "lookup-wrong", f"{FORWARD}: x[:, {j}, {t}] should be column "
                  f"ids[{j}, {t}] = {ids[j, t]} of E, {np.round(expected[:, j, t], 3)}; yours "
                  f"is {np.round(x[:, j, t], 3)}. {FORWARD_HINT}")


@one_message(FORWARD)
def check_embedding_forward(embedding_forward):
    """Check a learner's embedding_forward(E, ids) -> x (n_e, m, T_x).

    A case with more rows than words (so that E[ids] runs and shows its shape), one with more
    words than rows, a square batch (m = T_x) for ids read as (T_x, m), then the general check.
    """
    rng = np.random.default_rng(16)
    check_forward_case(embedding_forward, rng.normal(size=(5, 4)),
                       np.array([[1, 3, 3], [0, 2, 1]]))
    check_forward_case(embedding_forward, rng.normal(size=(2, 6)),
                       np.array([[5, 0, 2, 5], [1, 1, 4, 0]]))
    check_forward_case(embedding_forward, rng.normal(size=(3, 5)),
                       np.array([[4, 0, 2], [1, 1, 3], [0, 2, 2]]))
    differential(FORWARD_SPEC, embedding_forward)
    passed(FORWARD)


# --- the backward pass ----------------------------------------------------------------------

def read_backward(result, dx, ids, n_vocab):
    """dE from what the learner returned, its form and shape checked."""
    n_e, m, T_x = dx.shape
    shape = (n_e, n_vocab)
    if isinstance(result, np.ndarray) and result.shape != shape:
        if result.shape == (n_vocab, n_e):
            raise mistake(BACKWARD, "rows-instead-of-columns", f"{BACKWARD}: dE should have "
                          f"shape (n_e, n_vocab) = {shape}, the shape of E; yours is "
                          f"{result.shape}, a row per word. Each word is a column of E, so "
                          "its gradient is a column of dE: dE[:, i] sums the dx[:, j, t] "
                          "where ids[j, t] == i.")
        if result.shape == dx.shape:
            raise mistake(BACKWARD, "wrong-shape", f"{BACKWARD}: dE should have shape (n_e, "
                          f"n_vocab) = {shape}; yours is {result.shape}, the shape of dx. "
                          "The gradients of the steps that read the same word add up into "
                          "that word's column of dE.")
        if result.ndim == 2 and result.shape[0] == n_e and result.shape[1] in (
                int(ids.max()) + 1, len(np.unique(ids))):
            raise mistake(BACKWARD, "wrong-shape", f"{BACKWARD}: dE should have shape (n_e, "
                          f"n_vocab) = {shape}; yours is {result.shape}, columns for the ids "
                          "in the batch only. dE has a column for every word of the "
                          "vocabulary, n_vocab of them (the argument n_vocab); the words not "
                          "in the batch get a column of zeros.")
    assert_shape(BACKWARD, "dE", result, shape, "(n_e, n_vocab)")
    return result


def run_backward(fn, dx, ids, n_vocab):
    result = call_on_copies(fn, BACKWARD, {"dx": dx.copy(), "ids": ids.copy()},
                            f"dx (n_e, m, T_x) = {dx.shape}, ids (m, T_x) = {ids.shape}, "
                            f"n_vocab = {n_vocab}", BACKWARD_HINT, extra=(n_vocab,))
    return read_backward(result, dx, ids, n_vocab)


def kept_once(dx, ids, n_vocab):
    """What buffered fancy indexing computes: each repeated id keeps one dx column, in three
    ways of writing it (all at once, step by step, example by example)."""
    n_e, m, T_x = dx.shape
    at_once = np.zeros((n_e, n_vocab))
    at_once[:, ids] += dx
    by_step, by_example = np.zeros((n_e, n_vocab)), np.zeros((n_e, n_vocab))
    for t in range(T_x):
        by_step[:, ids[:, t]] += dx[:, :, t]
    for j in range(m):
        by_example[:, ids[j]] += dx[:, j]
    return [at_once, by_step, by_example]


def one_of(dx, ids, n_vocab, axis):
    """dE from one step (axis 2) or one example (axis 1) alone: the first, the last."""
    ids_axis = axis - 1
    return [reference_backward(np.take(dx, [k], axis=axis), np.take(ids, [k], axis=ids_axis),
                               n_vocab) for k in (0, dx.shape[axis] - 1)]


def flattened_apart(dx, ids, n_vocab):
    """dx's columns paired with ids in another order: dx flattened example by example and ids
    step by step (or the reverse), or dx read as (m, T_x, n_e) or (m, n_e, T_x)."""
    n_e, m, T_x = dx.shape
    by_example = dx.reshape(n_e, -1)
    by_step = dx.transpose(0, 2, 1).reshape(n_e, -1)
    return [sum_by_id(by_example, ids.T.ravel(), n_vocab),
            sum_by_id(by_step, ids.ravel(), n_vocab),
            sum_by_id(dx.reshape(-1, n_e).T, ids.ravel(), n_vocab),
            sum_by_id(dx.reshape(m, n_e, T_x).transpose(1, 0, 2).reshape(n_e, -1),
                      ids.ravel(), n_vocab)]


SLIPS = {
    "repeated-ids-dropped": (kept_once, (
        "a word read at several (j, t) gets only one of its dx columns: fancy indexing such as "
        "`dE[:, ids] += dx` adds once per distinct id (numpy buffers the writes, so the last "
        "one wins). Add every column: np.add.at(dE, (slice(None), ids), dx), or a loop over "
        "(j, t) with dE[:, ids[j, t]] += dx[:, j, t]")),
    "sum-over-time-missing": (lambda dx, ids, n: one_of(dx, ids, n, 2), (
        "yours is the gradient of one step alone: every step t reads its word through E, so "
        "dE sums dx[:, j, t] over all the steps t = 0, ..., T_x - 1 too")),
    "sum-over-examples-missing": (lambda dx, ids, n: one_of(dx, ids, n, 1), (
        "yours is the gradient of one example alone: every example j reads its words through "
        "E, so dE sums dx[:, j, t] over all the examples j = 0, ..., m - 1 too")),
    "dx-axes-mixed": (flattened_apart, (
        "dx's columns are paired with the ids of other (j, t): dx and ids are flattened in "
        "different orders (or dx read with its axes in another order). dx is (n_e, m, T_x) "
        "and ids (m, T_x): dx[:, j, t] goes with ids[j, t]; dx.reshape(n_e, -1) goes with "
        "ids.ravel(), both example by example")),
}
TRANSPOSED = ("dx[:, j, t] is added to column ids[t, j], as if ids were (T_x, m) (ids.T). ids "
              "is (m, T_x), like dx's last two axes: dx[:, j, t] goes with ids[j, t]")


def unseen_not_zero(got, ids, n_vocab):
    """The ids never read whose column of the learner's dE is not zero."""
    unseen = sorted(set(range(n_vocab)) - set(ids.ravel().tolist()))
    return [i for i in unseen if np.any(got[:, i])]


def explain_backward(got, dx, ids, n_vocab, variants=None):
    """(slug, text) for the learner's dE on one case, or None when it is right."""
    expected = reference_backward(dx, ids, n_vocab)
    if close(got, expected):
        return None
    unseen = unseen_not_zero(got, ids, n_vocab)
    if unseen:
        i = unseen[0]
        return "unseen-ids-not-zero", (
            f"no step reads word {i} (ids never holds it), yet your dE[:, {i}] is "
            f"{np.round(got[:, i], 3)}: a word the batch does not read gets no gradient, a "
            "column of zeros. Start dE from np.zeros((n_e, n_vocab)) and add only the dx "
            "columns of the words read")
    for slug, (computes, text) in (variants or SLIPS).items():
        if any(close(got, other) for other in computes(dx, ids, n_vocab)):
            return slug, text
    return None


def check_backward_case(fn, dx, ids, n_vocab):
    got = run_backward(fn, dx, ids, n_vocab)
    found = explain_backward(got, dx, ids, n_vocab)
    if found:
        raise mistake(BACKWARD, found[0], f"{BACKWARD} with ids = {ids.tolist()} (m = "
                      f"{ids.shape[0]}, T_x = {ids.shape[1]}): {found[1]}.")
    return got


def check_square(fn, rng):
    """A batch with m = T_x: ids read as (T_x, m) runs there and pairs dx[:, j, t] with
    ids[t, j]; so does dx flattened in another order than ids, told apart on a batch with
    m != T_x (where ids read as (T_x, m) breaks)."""
    ids = np.array([[2, 0, 2], [1, 2, 4], [0, 0, 2]])
    dx = rng.normal(size=(2, 3, 3))
    got = run_backward(fn, dx, ids, 5)
    if not close(got, reference_backward(dx, ids, 5)) and \
            close(got, reference_backward(dx, ids.T, 5)) and not unseen_not_zero(got, ids, 5):
        wide_ids = np.array([[1, 4, 4, 0], [4, 2, 1, 6]])
        wide_dx = rng.normal(size=(2, 2, 4))
        try:
            wide = run_backward(fn, wide_dx, wide_ids, 7)
        except CheckFailure:
            wide = None
        if wide is not None and explain_backward(
                wide, wide_dx, wide_ids, 7, {"dx-axes-mixed": SLIPS["dx-axes-mixed"]}):
            raise mistake(BACKWARD, "dx-axes-mixed", f"{BACKWARD} with ids = "
                          f"{wide_ids.tolist()}: {SLIPS['dx-axes-mixed'][1]}.")
        raise mistake(BACKWARD, "ids-transposed", f"{BACKWARD} with ids = {ids.tolist()} "
                      f"(m = T_x = 3): {TRANSPOSED}"
                      + (" (with m != T_x yours breaks)" if wide is None else "") + ".")
    if not close(got, reference_backward(dx, ids, 5)):
        check_backward_case(fn, dx, ids, 5)


@one_message(BACKWARD)
def check_embedding_backward(embedding_backward):
    """Check a learner's embedding_backward(dx, ids, n_vocab) -> dE (n_e, n_vocab).

    A square batch (m = T_x, for ids read as (T_x, m)); a batch whose ids repeat within a
    step, within an example and across both, with a word never read and m != T_x; one
    example of one step;
    then the general check on random cases of every size.
    """
    rng = np.random.default_rng(16)
    check_square(embedding_backward, rng)  # first: ids read as (T_x, m) breaks on the next
    ids = np.array([[1, 4, 4, 0], [4, 2, 1, 6], [0, 4, 5, 1]])  # word 3 never read
    check_backward_case(embedding_backward, rng.normal(size=(2, 3, 4)), ids, 7)
    check_backward_case(embedding_backward, rng.normal(size=(3, 1, 1)), np.array([[2]]), 4)
    differential(BACKWARD_SPEC, embedding_backward)
    passed(BACKWARD)


# --- the general check's specs --------------------------------------------------------------

SIZES = {"n_e": (1, 3), "m": (1, 3), "T_x": (1, 4), "n_vocab": (1, 5)}


def build_forward(sizes, rng, simple):
    draw = numbers(rng, simple)
    return {"E": draw((sizes["n_e"], sizes["n_vocab"])),
            "ids": rng.integers(0, sizes["n_vocab"], size=(sizes["m"], sizes["T_x"]))}


def build_backward(sizes, rng, simple):
    draw = numbers(rng, simple)
    return {"dx": draw((sizes["n_e"], sizes["m"], sizes["T_x"])),
            "ids": rng.integers(0, sizes["n_vocab"], size=(sizes["m"], sizes["T_x"])),
            "n_vocab": sizes["n_vocab"]}


def same_id(inputs):
    """Every id the word of ids[0, 0]: any pairing of dx with ids then gives the same dE."""
    return {**inputs, "ids": np.full_like(inputs["ids"], inputs["ids"][0, 0])}


FORWARD_SPEC = Spec(
    FORWARD, SIZES, build_forward, lambda E, ids: {"x": reference_forward(E, ids)},
    lambda result, inputs: {"x": read_forward(result, inputs["E"], inputs["ids"])},
    terms={"lookup": "the lookup x[:, j, t] = E[:, ids[j, t]], column ids[j, t] of E"},
    depends={"x": {"lookup"}}, batch={"ids": 0}, hint=FORWARD_HINT)

BACKWARD_SPEC = Spec(
    BACKWARD, SIZES, build_backward,
    lambda dx, ids, n_vocab: {"dE": reference_backward(dx, ids, n_vocab)},
    lambda result, inputs: {"dE": read_backward(result, inputs["dx"], inputs["ids"],
                                                inputs["n_vocab"])},
    terms={"pairing": "which column each dx[:, j, t] is added into: column ids[j, t] of dE, "
                      "the same example j and step t on both sides",
           "sum": "the sum: every dx[:, j, t] added once into its word's column (np.add.at, "
                  "or a loop over j and t), none left out, none counted twice"},
    depends={"dE": {"pairing", "sum"}},
    probes=[Probe("with every id the same", same_id, frozenset({"sum"}),
                  causes=frozenset({"sum"}))],
    batch={"dx": 1, "ids": 0}, hint=BACKWARD_HINT)
