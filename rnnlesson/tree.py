"""Parameter dicts may nest (an encoder-decoder has {"encoder": {...}, "decoder": {...}}).
These helpers walk them as flat {path: array} dicts, pairing params[k] with grads["d" + k].
"""


def flatten(tree, prefix=""):
    """{"encoder": {"Wax": A}} -> {"encoder.Wax": A}; a flat dict stays as it is."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


def unflatten(flat):
    """The inverse of `flatten`."""
    tree = {}
    for path, value in flat.items():
        *outer, key = path.split(".")
        node = tree
        for part in outer:
            node = node.setdefault(part, {})
        node[key] = value
    return tree


def grad_path(path):
    """The gradient's path for a parameter's path: "encoder.Wax" -> "encoder.dWax"."""
    *outer, key = path.split(".")
    return ".".join([*outer, "d" + key])


def paired(params, grads):
    """Yield (path, param, grad) for every parameter; a missing gradient is a clear error."""
    flat_grads = flatten(grads)
    for path, value in flatten(params).items():
        if grad_path(path) not in flat_grads:
            raise ValueError(f"grads: expected key '{grad_path(path)}' for parameter '{path}', "
                             f"got keys {sorted(flat_grads)}")
        yield path, value, flat_grads[grad_path(path)]
