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
    # the columns of dz grouped by id, as rows: dz.T's rows are contiguous in Fortran order
    grouped = np.take(dz.T, order, axis=0, mode="clip",
                      out=scratch("grouped by id", dz.T.shape, dtype=dz.dtype))
    out = np.zeros((dz.shape[0], n_x), dtype=dz.dtype)
    out[:, sorted_ids[starts]] = np.add.reduceat(grouped, starts, axis=0).T
    return out


def input_grads(dz, x, W_x):
    """From dz (k, m, T_x), the gradient at every step's W_x x_t + b: returns dW_x (k, n_x),
    db (k, 1) and dx (n_x, m, T_x), None for token ids."""
    dz_flat = flat(dz)
    n_x = W_x.shape[1]
    db = dz_flat.sum(axis=1, keepdims=True)
    if is_int_array(x):
        return sum_columns_by_id(dz_flat, x.T.ravel(), n_x), db, None
    dx = (W_x.T @ dz_flat).reshape((n_x,) + dz.shape[1:], order="F")
    return dz_flat @ flat(x).T, db, dx


def recurrent_grad(dz, h0, h):
    """Σ_t dz_t h_{t-1}^T for dz (k, m, T_x), h0 (n_a, m) and h (n_a, m, T_x) = h_1..h_T
    (step 1 reads h_0, step t > 1 reads h_{t-1}): (k, n_a)."""
    m = h0.shape[1]
    dz_flat, h_flat = flat(dz), flat(h)
    # computed as its transpose, Σ_t h_{t-1} dz_t^T: BLAS runs this layout faster here
    out = h0 @ dz_flat[:, :m].T
    out += h_flat[:, :-m] @ dz_flat[:, m:].T
    return out.T


def stacked_halves(params, gates, n_a):
    """The gates' weights row on row: recurrent halves (k n_a, n_a) in Fortran order, input
    halves (k n_a, n_x), biases (k n_a, 1), for k = len(gates)."""
    Ws = [params[f"W{g}"] for g in gates]
    W_a = np.asfortranarray(np.concatenate([W[:, :n_a] for W in Ws]))
    W_x = np.concatenate([W[:, n_a:] for W in Ws])
    b = np.concatenate([params[f"b{g}"] for g in gates])
    return W_a, W_x, b


def split_gate_grads(dW_a, dW_x, db, gates, n_a):
    """Stacked gradients back into dW<g> (n_a, n_a + n_x) and db<g> (n_a, 1) per gate."""
    grads = {}
    for k, g in enumerate(gates):
        rows = slice(k * n_a, (k + 1) * n_a)
        grads[f"dW{g}"] = np.concatenate([dW_a[rows], dW_x[rows]], axis=1)
        grads[f"db{g}"] = db[rows].copy()
    return grads
