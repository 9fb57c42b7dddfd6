"""What every check shares: calling the learner's function, comparing arrays, spotting
arguments changed in place. A failure is always an ``AssertionError`` whose message says what
was expected, what arrived, and what to look at.
"""

import copy

import numpy as np

from rnnlesson.cell import init_params
from rnnlesson.gradcheck import numerical_gradient, rel_error

TOL = 1e-6  # relative error between two computations of the same thing in float64


def passed(name):
    """The one line printed when every check of a function passes."""
    print(f"{name}: all checks passed")


def example_params(n_x, n_a, n_y, seed=0, scale=0.5):
    """Parameters with non-zero biases and weights large enough for tanh to bend."""
    rng = np.random.default_rng(seed + 1000)
    params = init_params(n_x, n_a, n_y, seed=seed)
    return {key: value + scale * rng.normal(size=value.shape) for key, value in params.items()}


def shape_text(value):
    """A short description of a value for messages: its shape if it is an array."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"{type(value).__name__} {value!r}"


def call(fn, name, args, sizes, hint="Check the shapes of the arrays you combine."):
    """fn(*args), turning any exception into an AssertionError that shows the inputs' shapes.

    sizes: text such as "xt (n_x, m) = (3, 4)" describing the inputs; hint: what to look at.
    """
    try:
        return fn(*args)
    except AssertionError:
        raise
    except NotImplementedError as err:
        raise AssertionError(f"{name} is not written yet (it raised NotImplementedError): "
                             "replace `raise NotImplementedError()` with your code.") from err
    except Exception as err:
        raise AssertionError(f"{name} raised {type(err).__name__}: {err}\n"
                             f"It was called with {sizes}. {hint}") from err


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


def assert_unchanged(name, originals, arguments):
    """originals: {argument name: snapshot before the call}; arguments: the same, after."""
    for arg, before in originals.items():
        path = changed_part(before, arguments[arg], arg)
        if path:
            raise AssertionError(
                f"{name} modified its argument {path} in place. Leave the inputs as they are: "
                "build new arrays (a = a + b rather than a += b, or copy first)."
            )


def assert_shape(name, what, value, shape, letters, hint=""):
    """value must be a float array of the given shape; letters spells it, e.g. '(n_a, m)'."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{name}: {what} should be a numpy array of shape {letters} = "
                             f"{shape}, received {shape_text(value)}.")
    if value.shape != shape:
        transposed = value.shape == shape[::-1] and len(shape) > 1
        hint = hint or (" It looks transposed." if transposed else "")
        raise AssertionError(f"{name}: {what} should have shape {letters} = {shape}, received "
                             f"{value.shape}.{hint}")
    if not np.all(np.isfinite(value)):
        raise AssertionError(f"{name}: {what} contains NaN or infinite values.")


def assert_returns(name, result, count, names):
    """result must be a tuple (or list) of count values."""
    if not isinstance(result, (tuple, list)) or len(result) != count:
        raise AssertionError(f"{name} should return {count} values ({names}), received "
                             f"{shape_text(result)}.")
    return result


def close(a, b, tol=TOL):
    """True when a and b are arrays of one shape that agree to a relative error below tol."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and rel_error(a, b) < tol


def error_text(a, b):
    """The relative error of a against b, formatted, for messages."""
    return f"relative error {rel_error(a, b):.1e}"


def call_on_copies(fn, name, args, sizes, hint="Check the shapes of the arrays you combine.",
                   extra=()):
    """`call` fn(*args.values(), *extra), then check that fn changed none of args.

    args: the learner's inputs by name (copies the caller may lose); extra: plain values such
    as a max_norm or a seed, passed after them.
    """
    originals = snapshot(args)
    result = call(fn, name, (*args.values(), *extra), sizes, hint)
    assert_unchanged(name, originals, args)
    return result


def numerical_gradients(loss, arrays, eps=1e-5):
    """Centred differences of loss() with respect to each array in the dict arrays.

    loss reads the arrays; each entry is nudged in place and restored.
    Returns {name: gradient shaped like the array}.
    """
    return {key: numerical_gradient(loss, value, eps) for key, value in arrays.items()}

