"""Inside a graded kernel: notice when a submission has switched the tests off.

The grader runs ``install(secret)`` before any of the learner's code (silently: it is in no
cell and not in the history). It records what the tests rely on: IPython's input and AST
transformers, its event callbacks, custom exception handler and traceback display, the
standard streams and hooks of ``sys``, the builtins, and every function of numpy and of the
``rnnlesson`` package (the objects and their code). Each test cell, as the grader runs it,
starts with ``verify(test)`` and ends with ``seal(test, nonce)``, which verifies again and
prints a keyed digest of the nonce. The grader counts a test as passed only if that digest
arrived, so a test that was rewritten (an input transformer), silenced (a hook, a stream
replaced) or cut short without an error is seen from outside the kernel.

This is a tripwire, not a wall: code running in the same interpreter could in principle
find the secret and forge a seal. It catches every known way of switching tests off
without going after this module's own internals.
"""
from __future__ import annotations

import builtins
import hashlib
import hmac
import sys
import types

MODULES = ("numpy", "numpy.testing", "numpy.linalg", "math", "builtins")
PACKAGE = "rnnlesson"
# set afresh by IPython or ipykernel for every cell: not something a test relies on
VOLATILE = {"builtins": {"input", "raw_input", "getpass", "_", "__", "___", "__IPYTHON__",
                         "display", "get_ipython"}}
IPYTHON_METHODS = ("showtraceback", "_showtraceback", "showsyntaxerror", "run_cell",
                   "run_cell_async", "run_code", "run_ast_nodes", "transform_cell",
                   "transform_ast", "should_run_async", "set_custom_exc", "ex", "ev",
                   "get_exception_only", "_get_exc_info")


class TamperedError(Exception):
    """Something the tests rely on was changed by the submission."""

    def _render_traceback_(self):
        return [f"TamperedError: {self}"]


def _code_of(value):
    code = getattr(value, "__code__", None)
    if code is None and hasattr(value, "__func__"):
        code = getattr(value.__func__, "__code__", None)
    return code


def _from_library(callback) -> bool:
    """Whether a callback's code comes from the installed, read-only libraries."""
    code = _code_of(callback)
    if code is None:
        return False
    import os

    prefixes = tuple(os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix))
    return os.path.realpath(code.co_filename).startswith(prefixes)


def _fingerprint(value):
    """What identifies a value: the object, and for a function its code and defaults."""
    if isinstance(value, types.FunctionType):
        return (id(value), id(value.__code__), id(value.__defaults__),
                id(value.__kwdefaults__), id(value.__globals__))
    return (id(value),)


def _namespace(obj, skip=frozenset()) -> dict:
    out = {}
    for name, value in list(vars(obj).items()):
        if name in skip:
            continue
        out[name] = _fingerprint(value)
        if isinstance(value, type) and getattr(value, "__module__", "").startswith(
                (PACKAGE, "numpy")):
            for attr, member in list(vars(value).items()):
                out[f"{name}.{attr}"] = _fingerprint(member)
    return out


def _modules() -> dict:
    names = [m for m in MODULES if m in sys.modules]
    names += sorted(m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + "."))
    return {name: sys.modules[name] for name in names}


def _snapshot() -> dict:
    ip = get_ipython()  # noqa: F821  (the IPython kernel's global)
    state = {
        "input_transformers_cleanup": [id(f) for f in ip.input_transformers_cleanup],
        "input_transformers_post": [id(f) for f in ip.input_transformers_post],
        "ast_transformers": [id(f) for f in ip.ast_transformers],
        "custom_exceptions": ip.custom_exceptions,
        "CustomTB": id(getattr(ip, "CustomTB", None)),
        "InteractiveTB": id(ip.InteractiveTB),
        "shell class": id(type(ip)),
        "user_ns __builtins__": id(ip.user_ns.get("__builtins__")),
        "sys.stdout": id(sys.stdout), "sys.stderr": id(sys.stderr),
        "sys.displayhook": id(sys.displayhook),
        "sys.gettrace": id(sys.gettrace()), "sys.meta_path": [id(f) for f in sys.meta_path],
        "sys.path_hooks": [id(f) for f in sys.path_hooks],
        "AssertionError": id(builtins.AssertionError),
    }
    for name in IPYTHON_METHODS:
        state[f"shell.{name}"] = (id(ip.__dict__.get(name)),
                                  _fingerprint(getattr(type(ip), name, None)))
    state["events"] = {event: {id(cb): _from_library(cb) for cb in cbs}
                       for event, cbs in ip.events.callbacks.items()}
    modules = _modules()
    state["modules"] = {name: id(module) for name, module in modules.items()}
    state["namespaces"] = {name: _namespace(module, VOLATILE.get(name, frozenset()))
                           for name, module in modules.items()}
    state["guard"] = _namespace(sys.modules[__name__])
    return state


def _differences(before: dict, now: dict) -> list[str]:
    found = []
    for key, value in before.items():
        if key in ("namespaces", "guard", "modules", "events"):
            continue
        if now.get(key) != value:
            found.append(key.replace("shell.", "IPython's "))
    for event, now_callbacks in now["events"].items():
        callbacks = before["events"].get(event, {})
        removed = set(callbacks) - set(now_callbacks)
        # a library may register its own (matplotlib's pyplot does, on import)
        added = [cb for cb, trusted in now_callbacks.items()
                 if cb not in callbacks and not trusted]
        if removed or added:
            found.append(f"the IPython event callbacks of {event!r}")
    for name, module_id in before["modules"].items():
        if now["modules"].get(name) != module_id:
            found.append(f"the module {name} (replaced in sys.modules)")
    for name, names in before["namespaces"].items():
        current = now["namespaces"].get(name, {})
        changed = sorted(attr for attr, fp in names.items() if current.get(attr) != fp)
        if changed:
            found.append(f"{name}." + (", ".join(changed[:3]) + (" ..." if len(changed) > 3
                                                                   else "")))
    if before["guard"] != now["guard"]:
        found.append("the grader's guard")
    return found


def install(secret: str) -> None:
    """Record the state the tests rely on (run by the grader before any learner code)."""
    import numpy  # noqa: F401  (the tests' modules, loaded so that they are recorded)
    import numpy.linalg  # noqa: F401
    import numpy.testing  # noqa: F401

    import rnnlesson  # noqa: F401
    import rnnlesson.checks  # noqa: F401

    baseline = _snapshot()
    stdout = sys.stdout
    key = secret.encode()

    def verify(test: str) -> None:
        problems = _differences(baseline, _snapshot())
        if problems:
            raise TamperedError(
                f"this test cannot be trusted: the notebook changed {'; '.join(problems)}, "
                "which the tests rely on. Remove the code that does this.")

    def seal(test: str, nonce: str) -> None:
        verify(test)
        digest = hmac.new(key, f"{test}:{nonce}".encode(), hashlib.sha256).hexdigest()
        stdout.write(f"{digest}\n")
        stdout.flush()

    module = sys.modules[__name__]
    module.verify, module.seal = verify, seal
    baseline["guard"] = _namespace(module)


def expected_seal(secret: str, test: str, nonce: str) -> str:
    """The line ``seal`` prints, as the grader computes it outside the kernel."""
    return hmac.new(secret.encode(), f"{test}:{nonce}".encode(), hashlib.sha256).hexdigest()
