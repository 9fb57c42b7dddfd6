"""The tests of one submission, run in the grader's own process against calls into its sandbox.

The sandbox (``runner.py``) runs the learner's notebook up to its last test, tests left out,
and then only answers calls. Here, in the grading worker, the exercise's solution notebook
is replayed: its given cells run as they are, each answer cell binds the names it defines
to `Remote` stand-ins that call the learner's functions in the sandbox, and each test cell
(its visible check, then its hidden tests) runs against them. Only data crosses
(``channel.py``); a function a test passes to the learner's code stays here and is called
back. The hidden tests never enter the sandbox, and nothing the learner's code does there
(printing, raising, hooking, patching) can reach the code that decides a test's result.
"""
from __future__ import annotations

import builtins
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from .channel import REPLY_LIMIT, ChannelError, Decoder, Encoder, TooBig, pack, read_frame

TEXT_LIMIT = 4096            # characters of an error message kept
OUTPUT_LIMIT = 32 * 1024     # characters of the learner's output the runner keeps per cell
SHOWN_LIMIT = 40 * 1024      # characters kept here per test (the runner's note fits)
RESTARTS = 2                 # fresh sandboxes after a call that timed out or killed it
LIMIT_SIGNALS = {signal.SIGXCPU: "cpu-limit", signal.SIGXFSZ: "file-size-limit"}


class LearnerError(Exception):
    """An exception the learner's code raised in the sandbox, rebuilt from its description."""

    learner_line = None
    crash = None  # what the learner's line showed (see rnnlesson.checks._crash.facts)

    def __str__(self):
        return self.text


class CallTimeout(BaseException):
    """A call into the sandbox ran past its test's time limit (the sandbox was stopped).
    Not an Exception: a check's ``except Exception`` must not take it for the learner's."""


class SandboxStopped(BaseException):
    """The sandbox is gone (it died, was stopped, or broke the channel)."""


def rebuild_error(info: dict) -> LearnerError:
    """The learner's exception as an instance of a class with the same name and builtin base
    (so ``except ValueError`` and ``type(err).__name__`` read as they would at home), with
    its line and what that line showed (``crash``), kept as plain strings and numbers."""
    base = Exception
    for name in info.get("bases", []):
        candidate = getattr(builtins, str(name), None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            base = candidate
            break
    name = str(info.get("type", "Exception"))[:100] or "Exception"
    try:
        cls = type(name if name.isidentifier() else "Exception", (LearnerError, base), {})
        error = cls.__new__(cls)
    except TypeError:  # a base that cannot be mixed in (e.g. OSError's layout)
        cls = type(name if name.isidentifier() else "Exception", (LearnerError,), {})
        error = cls.__new__(cls)
    error.text = str(info.get("message", ""))[:TEXT_LIMIT]
    line = info.get("line")
    if isinstance(line, list) and len(line) == 2:
        error.learner_line = (int(line[0]), str(line[1])[:300])
    if isinstance(info.get("crash"), dict):
        from rnnlesson.checks._crash import checked

        error.crash = checked(info["crash"])
    return error


class Session:
    """One submission's sandbox: the runner started in it, its cells run, calls answered.

    prepare: called before each start (a fresh sandbox, its home empty); it returns the argv
    prefix that runs a program in the sandbox (``Sandbox.command``), or one that runs it
    unconfined (for measuring the sandbox's cost only).
    """

    def __init__(self, prepare, cells: list[dict], notebook_timeout: float):
        self.prepare, self.cells = prepare, cells
        self.notebook_timeout = notebook_timeout
        self.proc = None
        self.replies: queue.Queue = queue.Queue()
        self.deadline = None
        self.starts = 0
        self.faults: set[str] = set()
        self.cell_reports: list[dict] = []
        self.output: list[str] = []

    # the process -------------------------------------------------------------------
    def _read(self, proc, replies):
        try:
            while True:
                replies.put(read_frame(proc.stdout, REPLY_LIMIT))
        except (EOFError, OSError, ValueError):
            replies.put(None)
        except TooBig as err:
            replies.put(("too-big", str(err)))
        except ChannelError as err:
            replies.put(("broken", str(err)))

    def start(self) -> None:
        command = self.prepare()
        self.starts += 1
        self.proc = subprocess.Popen(
            command + [sys.executable, "-m", "rnnlesson.grading.runner"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self.replies = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.replies), daemon=True).start()
        first = self.starts == 1
        self.deadline = time.monotonic() + self.notebook_timeout
        try:
            message, _ = self._send_and_wait({"op": "run", "cells": self.cells,
                                              "limit": OUTPUT_LIMIT}, [])
        except CallTimeout:
            if first:
                self.faults.add("timeout")
            raise SandboxStopped(f"the notebook's time limit ({self.notebook_timeout:.0f} s) "
                                 "was reached while its cells ran") from None
        if message.get("op") != "ready" or not isinstance(message.get("cells"), list):
            self.stop()
            raise SandboxStopped("the notebook's code broke the connection with the grader")
        if first:
            self.cell_reports = message["cells"]

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            proc.stdin.close()
        proc.wait()
        status = -proc.returncode if proc.returncode < 0 else proc.returncode - 128
        if status in LIMIT_SIGNALS:
            self.faults.add(LIMIT_SIGNALS[status])

    def _send(self, message: dict, buffers: list[bytes]) -> None:
        try:
            self.proc.stdin.write(pack(message, buffers))
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass  # a dead sandbox: the reader says so

    def _wait(self) -> tuple[dict, list[bytes]]:
        left = self.deadline - time.monotonic() if self.deadline else None
        try:
            reply = self.replies.get(timeout=max(left, 0.01) if left is not None else None)
        except queue.Empty:
            self.stop()
            raise CallTimeout() from None
        if reply is not None and reply[0] == "too-big":  # what it returned, not the channel
            self.stop()
            raise rebuild_error({"type": "UnreadableResult", "bases": ["Exception"],
                                 "message": f"returned {reply[1]}, more than the grader "
                                            "reads"})
        if reply is None or reply[0] == "broken":
            proc = self.proc
            self.stop()
            died = proc is not None and proc.returncode not in (0, None)
            if not (self.faults & set(LIMIT_SIGNALS.values())):
                self.faults.add("kernel-died" if died else "tampered")
            raise SandboxStopped("the notebook's process died" if died else
                                 "the notebook's code broke the connection with the grader")
        return reply

    def _send_and_wait(self, message, buffers):
        self._send(message, buffers)
        return self._wait()

    # calls --------------------------------------------------------------------------
    def call(self, op: str, name: str, args=(), kwargs=None):
        """The learner's ``name(*args, **kwargs)`` (op "call") or value (op "get")."""
        if self.proc is None:
            if self.starts > RESTARTS:
                raise SandboxStopped("the notebook's process had stopped earlier")
            self.start()
        encoder = Encoder(allow_functions=True)
        tree = encoder.encode((list(args), dict(kwargs or {})))
        message, buffers = self._send_and_wait({"op": op, "name": name, "args": tree},
                                               encoder.buffers)
        while message.get("op") == "callback":
            self._answer_callback(encoder.functions, message, buffers)
            message, buffers = self._wait()
        self._keep_output(message.get("output"))
        op = message.get("op")
        if op == "return":
            return Decoder(buffers).decode(message.get("value"))
        if op == "raise" and isinstance(message.get("error"), dict):
            error = rebuild_error(message["error"])
            from .verdict import limit_status

            limit = limit_status(f"{type(error).__name__}: {error}")
            if limit:
                self.faults.add(limit)
            raise error
        if op == "missing":
            raise rebuild_error({"type": "NameError", "bases": ["NameError"],
                                 "message": f"name '{name}' is not defined"})
        self.stop()
        self.faults.add("tampered")
        raise SandboxStopped("the notebook's code broke the connection with the grader")

    def _answer_callback(self, functions, message, buffers) -> None:
        try:
            function = functions[int(message["id"])]
            args, kwargs = Decoder(buffers).decode(message["args"])
            encoder = Encoder()
            tree = encoder.encode(function(*args, **kwargs))
            self._send({"op": "result", "value": tree}, encoder.buffers)
        except Exception as err:  # the grader's function refused the learner's arguments
            self._send({"op": "error", "message": f"{type(err).__name__}: {err}"[:TEXT_LIMIT]},
                       [])

    def _keep_output(self, text) -> None:
        if not isinstance(text, str) or not text:
            return
        room = SHOWN_LIMIT - sum(len(t) for t in self.output)
        if len(text) > room:
            text = text[:max(room, 0)] + (f"\n[output cut here: {len(text) - max(room, 0)} "
                                          "more characters]\n")
        if room > 0:
            self.output.append(text)

    def take_output(self) -> str:
        text, self.output = "".join(self.output), []
        return text


class Remote:
    """The learner's function ``name``, called in the sandbox (what a test is given)."""

    in_sandbox = True

    def __init__(self, session: Session, name: str):
        self.session, self.__name__ = session, name

    def __call__(self, *args, **kwargs):
        return self.session.call("call", self.__name__, args, kwargs)

    def __repr__(self):
        return f"<your {self.__name__}>"
