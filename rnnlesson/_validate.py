"""Checks at the package boundary.

Every check raises ``ValueError`` that names the argument, says what was expected (in the
lecture's letters: n_x inputs, n_a hidden units, n_y outputs, m examples, T_x steps) and what
arrived. Checks never modify what they are given.
"""

import numpy as np

# What each parameter is, for messages about a missing key.
PARAM_SHAPES = {
    "Wax": "(n_a, n_x)",
    "Waa": "(n_a, n_a)",
    "ba": "(n_a, 1)",
    "Wya": "(n_y, n_a)",
    "by": "(n_y, 1)",
}
RECURRENCE_KEYS = ("Wax", "Waa", "ba")
ALL_KEYS = ("Wax", "Waa", "ba", "Wya", "by")


def fail(name, expected, got, why=""):
    """The one form of every boundary error: which argument, what was expected (why, if the
    rule needs a reason), what arrived."""
    raise ValueError(f"{name}: {why}expected {expected}, got {got}")


def describe(value, dtype=True):
    """A short description of what arrived, for error messages: an array's shape (and its
    dtype unless dtype=False), a sequence's length, a dict's keys, else the value itself."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" + (f" and dtype {value.dtype}" if dtype else "")
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"a dict with keys {list(value)}"
    text = repr(value)
    text = text if len(text) < 60 else text[:57] + "..."
    return f"{text} ({type(value).__name__})" if dtype else f"{type(value).__name__} {text}"


def is_int_array(x):
    return isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.integer)


def check_finite(name, value):
    if not np.all(np.isfinite(value)):
        bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
        fail(name, "finite numbers", f"{bad} NaN or infinite entries")


def check_float_array(name, value, shape, letters, dtype=None):
    """A finite float array of the given shape; ``letters`` spells the shape, e.g. '(n_a, m)'.
    dtype: the parameters' dtype, which the array must have (None: any float dtype)."""
    if not isinstance(value, np.ndarray):
        fail(name, f"a numpy array of shape {letters} = {shape}", describe(value))
    if not np.issubdtype(value.dtype, np.floating):
        fail(name, f"a float array of shape {letters} = {shape}", describe(value))
    if value.shape != shape:
        fail(name, f"shape {letters} = {shape}", f"shape {value.shape}")
    if dtype is not None:
        check_dtype(name, value, dtype)
    check_finite(name, value)
    return value


FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(name, value, dtype):
    """value's dtype is the parameters' dtype: the computation runs in one precision."""
    if value.dtype != dtype:
        fail(name, f"dtype {dtype}, the parameters' dtype (convert with .astype(np.{dtype}))",
             f"dtype {value.dtype}")


def params_dtype(params, keys, name="params"):
    """The one float dtype of params[key] for each key: float32 or float64, the same for all
    (the parameters' dtype decides the computation's)."""
    first = keys[0]
    dtype = params[first].dtype
    if dtype not in FLOAT_DTYPES:
        fail(f"{name}['{first}']", "dtype float32 or float64", f"dtype {dtype}")
    for key in keys[1:]:
        if params[key].dtype != dtype:
            fail(f"{name}['{key}']", f"dtype {dtype}, as {name}['{first}'] (one dtype for "
                 "all the parameters)", f"dtype {params[key].dtype}")
    return dtype


def float_dtype(dtype, name="dtype"):
    """np.float32 or np.float64 (or their names), as a numpy dtype."""
    try:
        found = np.dtype(dtype)
    except TypeError:
        found = None
    if dtype is None or found not in FLOAT_DTYPES:
        fail(name, "np.float32 or np.float64", describe(dtype))
    return found


def dtype_of(params):
    """The dtype of checked parameters (nested dicts: of the first array found)."""
    for value in params.values():
        if isinstance(value, np.ndarray):
            return value.dtype
        if isinstance(value, dict):
            return dtype_of(value)
    return np.dtype(np.float64)


def check_step(name, x, n_x, dtype=None):
    """One step of a batch: a finite float array (n_x, m), any m >= 1; return m.
    dtype: the parameters', which x must have (None: any float dtype)."""
    m = x.shape[1] if isinstance(x, np.ndarray) and x.ndim == 2 and x.shape[1] > 0 else 1
    check_float_array(name, x, (n_x, m), "(n_x, m)", dtype)
    return m


def check_params(params, keys=ALL_KEYS, name="params"):
    """Check a parameter dict; return (n_x, n_a, n_y), n_y None without an output layer."""
    if not isinstance(params, dict):
        fail(name, "a dict of arrays with keys " + ", ".join(keys), describe(params))
    for key in keys:
        if key not in params:
            fail(name, f"key '{key}' of shape {PARAM_SHAPES[key]}", f"keys {sorted(params)}")
    for key in params:
        if key in PARAM_SHAPES and not isinstance(params[key], np.ndarray):
            fail(f"{name}['{key}']", f"a numpy array of shape {PARAM_SHAPES[key]}",
                 describe(params[key]))
    Waa = params["Waa"]
    if Waa.ndim != 2 or Waa.shape[0] != Waa.shape[1]:
        fail(f"{name}['Waa']", "a square array of shape (n_a, n_a)", f"shape {Waa.shape}")
    n_a = Waa.shape[0]
    Wax = params["Wax"]
    if Wax.ndim != 2 or Wax.shape[0] != n_a:
        fail(f"{name}['Wax']", f"shape (n_a, n_x) with n_a = {n_a}", f"shape {Wax.shape}")
    n_x = Wax.shape[1]
    n_y = params["Wya"].shape[0] if "Wya" in params and params["Wya"].ndim == 2 else None
    expected = {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "ba": (n_a, 1)}
    if "Wya" in params or "Wya" in keys:
        expected.update({"Wya": (n_y, n_a), "by": (n_y, 1)})
    for key, shape in expected.items():
        if key in params:
            check_float_array(f"{name}['{key}']", params[key], shape, PARAM_SHAPES[key])
    params_dtype(params, [key for key in expected if key in params], name)
    return n_x, n_a, n_y


def check_sequence(x, n_x, name="x", dtype=None):
    """x is floats (n_x, m, T_x) or int token ids (m, T_x) in [0, n_x); return (m, T_x).
    dtype: the parameters' dtype, which float x must have (None: any float dtype)."""
    expected = (f"a float array (n_x, m, T_x) with n_x = {n_x}, "
                f"or an int array of token ids (m, T_x) with ids in [0, {n_x})")
    if not isinstance(x, np.ndarray) or x.dtype == bool:
        fail(name, expected, describe(x))
    if is_int_array(x):
        if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
            fail(name, expected, describe(x))
        if x.min() < 0 or x.max() >= n_x:
            fail(name, f"token ids in [0, n_x) = [0, {n_x})",
                 f"ids from {x.min()} to {x.max()}")
        return x.shape
    if not np.issubdtype(x.dtype, np.floating) or x.ndim != 3 or x.shape[0] != n_x:
        fail(name, expected, describe(x))
    if x.shape[1] < 1 or x.shape[2] < 1:
        fail(name, "m >= 1 and T_x >= 1", f"shape {x.shape}")
    if dtype is not None:
        check_dtype(name, x, dtype)
    check_finite(name, x)
    return x.shape[1:]


def check_state(a0, n_a, m, name="a0", dtype=None):
    """The initial hidden state (n_a, m); None stands for zeros. dtype: the parameters'."""
    if a0 is None:
        return np.zeros((n_a, m), dtype)
    return check_float_array(name, a0, (n_a, m), "(n_a, m)", dtype)


def check_lengths(lengths, m, T_x, name="lengths"):
    """Per-example lengths (m,) of a padded batch, each in [1, T_x]; None means all T_x."""
    if lengths is None:
        return None
    lengths = np.asarray(lengths)
    if not np.issubdtype(lengths.dtype, np.integer) or lengths.shape != (m,):
        fail(name, f"{m} integer lengths, shape (m,) = ({m},)", describe(lengths))
    if lengths.min() < 1 or lengths.max() > T_x:
        fail(name, f"every length in [1, T_x] = [1, {T_x}]",
             f"lengths from {lengths.min()} to {lengths.max()}")
    return lengths


def check_labels(y, shape, letters, n_y, name="y"):
    """Integer class labels of the given shape, each in [0, n_y)."""
    if not is_int_array(y):
        fail(name, f"an int array of class labels of shape {letters} = {shape}", describe(y))
    if y.shape != shape:
        fail(name, f"shape {letters} = {shape}", f"shape {y.shape}")
    if y.min() < 0 or y.max() >= n_y:
        fail(name, f"labels in [0, n_y) = [0, {n_y})", f"labels from {y.min()} to {y.max()}")
    return y


def check_positive(name, value, kind=float):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(name, f"a positive {kind.__name__}", describe(value))
    if not np.isfinite(value) or value <= 0:
        fail(name, "a finite number > 0", repr(value))
    if kind is int and int(value) != value:
        fail(name, "a positive integer", repr(value))
    return kind(value)
