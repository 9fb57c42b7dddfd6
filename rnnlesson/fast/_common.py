"""What the fast paths share: the memory layout, the all-steps products, scratch memory.

Letters: n_x input features, n_a hidden units, m examples, T_x steps. The fast paths keep the
lecture's shapes, (n, m, T_x), but store them in Fortran order (the first index runs fastest
in memory). Two things follow. Step t's (n, m) block a[:, :, t] is contiguous, so the
step-by-step loop works on compact memory. And `flat(a)`, the (n, T_x * m) matrix of every
column of every step (step 1's m columns, then step 2's, ...), is a view, so an all-steps
operation is a single matrix product. A gated cell's gates are stacked row on row, so that
their input halves run for all steps at once (a column lookup for token ids) and their
recurrent halves are one matrix product per step.
"""

import numpy as np

from rnnlesson._scratch import scratch
from rnnlesson._validate import is_int_array


def flat(a):
    """(n, m, T_x) -> (n, T_x * m): the m columns of step 1, then those of step 2, ...
    A view when a is in Fortran order (as the fast paths keep it), else a copy."""
    return a.reshape((a.shape[0], -1), order="F")


def buffer(name, shape, dtype, transient):
    """A Fortran-ordered (n, m, T_x) array: scratch memory when transient (only for values
    that die before the caller returns), else a new array."""
    if transient:
        return scratch(name, shape, order="F", dtype=dtype)
    return np.empty(shape, dtype=dtype, order="F")


def input_projection(x, W_x, b, out):
    """W_x x_t + b for every step at once, written into out (k, m, T_x), Fortran order.
    W_x (k, n_x), b (k, 1); x (n_x, m, T_x) floats or (m, T_x) token ids."""
    if is_int_array(x):  # W_x e_i is column i of W_x: index, don't multiply
        # out.T (T_x, m, k) gets row x[i, t] of W_x.T at [t, i]; mode="clip" (the ids are
        # checked already) writes straight into out, unbuffered
        np.take(np.ascontiguousarray(W_x.T), x.T, axis=0, out=out.T, mode="clip")
    else:
        np.matmul(W_x, flat(x), out=flat(out))
    out += b[:, :, None]
    return out


def sum_columns_by_id(dz, ids, n_x):
    """dz (k, N), ids (N,) -> (k, n_x): column i sums the columns of dz whose id is i.
    The same as dz @ one_hot(ids).T, without building the one-hot matrix."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    # the columns of dz grouped by id, as rows: dz.T's rows are contiguous in Fortran order
    grouped = np.take(dz.T, order, axis=0, mode="clip",
                      out=scratch("grouped by id", dz.T.shape, dtype=dz.dtype))
    out = np.zeros((n_x, dz.shape[0]), dtype=dz.dtype)  # out.T is the (k, n_x) answer
    # one contiguous sum of rows per id: np.add.reduceat does the same, but walks each
    # column of a group with a stride of k elements, which for k a power of two (an LSTM's
    # 4 n_a rows) hits the same cache sets and ran ten times slower
    for i, start, end in zip(sorted_ids[starts].tolist(), starts.tolist(), ends.tolist(),
                             strict=True):
        np.add.reduce(grouped[start:end], axis=0, out=out[i])
    return out.T


def input_grads(dz, x, W_x):
    """From dz (k, m, T_x), the gradient at every step's W_x x_t + b: returns dW_x (k, n_x),
    db (k, 1) and dx (n_x, m, T_x), None for token ids."""
    dz_flat = flat(dz)
    n_x = W_x.shape[1]
    if is_int_array(x):  # every column of dz went to one id's column: db sums dW_x's
        dW_x = sum_columns_by_id(dz_flat, x.T.ravel(), n_x)
        return dW_x, dW_x.sum(axis=1, keepdims=True), None
    dx = (W_x.T @ dz_flat).reshape((n_x,) + dz.shape[1:], order="F")
    return dz_flat @ flat(x).T, dz_flat.sum(axis=1, keepdims=True), dx


def recurrent_grad(dz, h_prev, out):
    """Σ_t dz_t h_{t-1}^T for dz (k, m, T_x) and h_prev (n_a, m, T_x) = h_0..h_{T-1}, both in
    Fortran order, written into out (k, n_a): one matrix product over every step's columns."""
    dz_flat, h_flat = flat(dz), flat(h_prev)
    if dz_flat.shape[1] < 2048:
        return np.matmul(dz_flat, h_flat.T, out=out)
    # with many columns BLAS runs the transposed product, Σ_t h_{t-1} dz_t^T, faster
    # (a fifth, in float64 here), which pays for the copy into out
    out[...] = (h_flat @ dz_flat.T).T
    return out


def states_with_start(name, a0, T_x, transient):
    """(n_a, m, T_x + 1) in Fortran order with a_0 at step 0: [:, :, 1:] holds a_1..a_T and
    [:, :, :-1] the states each step reads, both views, so that a weight's gradient over
    every step is one matrix product (a separate a_0 term costs a product of inner size m,
    which BLAS runs slowly for m = 1)."""
    n_a, m = a0.shape
    states = buffer(name, (n_a, m, T_x + 1), a0.dtype, transient)
    states[:, :, 0] = a0
    return states


def stacked_halves(params, gates, n_a):
    """The gates' weights row on row: recurrent halves (k n_a, n_a) in C order (so that W_a.T
    is in Fortran order), input halves (k n_a, n_x), biases (k n_a, 1), for k = len(gates)."""
    Ws = [params[f"W{g}"] for g in gates]
    W_a = np.concatenate([W[:, :n_a] for W in Ws])
    W_x = np.concatenate([W[:, n_a:] for W in Ws])
    b = np.concatenate([params[f"b{g}"] for g in gates])
    return W_a, W_x, b


def gate_grads(dW_x, db, gates, n_a, recurrent):
    """Every gate's dW<g> (n_a, n_a + n_x) and db<g> (n_a, 1) from the stacked dW_x (k, n_x)
    and db (k, 1), k = len(gates) n_a; recurrent(out) writes the stacked recurrent halves'
    gradient into out (k, n_a). The gradients are in C order as the parameters are: an
    optimiser's element-wise steps run several times slower on operands of mixed order."""
    dW = np.empty((dW_x.shape[0], n_a + dW_x.shape[1]), dtype=dW_x.dtype)
    recurrent(dW[:, :n_a])
    dW[:, n_a:] = dW_x
    grads = {}
    for k, g in enumerate(gates):
        rows = slice(k * n_a, (k + 1) * n_a)
        grads[f"dW{g}"], grads[f"db{g}"] = dW[rows], db[rows].copy()
    return grads
