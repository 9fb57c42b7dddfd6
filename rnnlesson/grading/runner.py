"""Inside a learner's sandbox: run their notebook, then answer the grader's calls.

``python -m rnnlesson.grading.runner`` is the one process the grader starts in the sandbox.
It reads requests on stdin and writes replies on stdout in the data-only format of
``channel.py``; the learner's code writes to neither (its prints are captured, capped, and
sent back as text; fds 1 and 2 go nowhere).

1. ``run``: the notebook's code cells (the learner's answers and the given code, never a
   test) run in an IPython shell, in order, each error recorded and the next cell run.
2. ``call``: the grader asks for ``name(*args, **kwargs)``; the reply is the value returned
   or the exception raised (its type, message and the line of the learner's code).
   A function among the arguments is the grader's: calling it sends a ``callback`` and waits
   for the grader's answer.
3. ``exit``.

Nothing here decides a grade. Code in the notebook can rewrite this module, the channel or
the replies, and so change what its own functions seem to return, which is what it could
do anyway by returning something else: every test runs in the grader's own process.
"""
from __future__ import annotations

import io
import os
import sys

from .channel import REPLY_LIMIT, ChannelError, Decoder, Encoder, read_frame, write_frame

REQUEST_LIMIT = 1024**3
TEXT_LIMIT = 4096


class Captured(io.TextIOBase):
    """A stream keeping the first ``limit`` characters written to it, counting the rest."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(len(text) - max(room, 0), 0)
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[output cut here: {self.dropped} more characters]\n"
        self.parts, self.kept, self.dropped = [], 0, 0
        return text


def _bases(error: BaseException) -> list[str]:
    import builtins

    return [cls.__name__ for cls in type(error).__mro__
            if getattr(builtins, cls.__name__, None) is cls]


def describe_error(error: BaseException) -> dict:
    """An exception as data: its type, builtin bases, message, the learner's line and what
    that line shows (``crash``: the shapes of the arrays it names and the lines that made
    them, strings and numbers only, capped; see ``rnnlesson.checks._crash.facts``)."""
    try:
        from rnnlesson.checks._crash import checked, facts, learner_line

        line = learner_line(error.__traceback__)
    except Exception:  # a learner may have broken what this reads: no line then
        line = None
    try:
        crash = checked(facts(error.__traceback__)) if line else None
    except Exception:
        crash = None
    try:
        message = str(error)
    except Exception:
        message = "(its message could not be read)"
    return {"type": type(error).__name__[:100], "bases": _bases(error),
            "message": message[:TEXT_LIMIT],
            "line": [int(line[0]), str(line[1])[:300]] if line else None, "crash": crash}


class Runner:
    def __init__(self, requests, replies):
        self.requests, self.replies = requests, replies
        self.out = Captured(32 * 1024)
        self.shell = None

    def send(self, message: dict, buffers=()) -> None:
        write_frame(self.replies, message, buffers)

    def receive(self) -> tuple[dict, list[bytes]]:
        return read_frame(self.requests, REQUEST_LIMIT)

    def callback(self, number: int):
        def grader_function(*args, **kwargs):
            encoder = Encoder()
            tree = encoder.encode((list(args), kwargs))
            self.send({"op": "callback", "id": number, "args": tree}, encoder.buffers)
            message, buffers = self.receive()
            if message.get("op") == "result":
                return Decoder(buffers).decode(message["value"])
            raise RuntimeError(f"the grader's function raised: {message.get('message', '')}")

        grader_function.__name__ = f"grader_function_{number}"
        return grader_function

    def run_cells(self, cells: list[dict], limit: int) -> None:
        from IPython.core.interactiveshell import InteractiveShell

        self.out.limit = limit
        self.shell = InteractiveShell.instance()
        report = []
        for cell in cells:
            result = self.shell.run_cell(cell["source"], store_history=False)
            error = result.error_before_exec or result.error_in_exec
            report.append({"index": cell["index"], "output": self.out.take(),
                           "error": describe_error(error) if error is not None else None})
        self.send({"op": "ready", "cells": report})

    def call(self, message: dict, buffers: list[bytes]) -> None:
        namespace = self.shell.user_ns if self.shell is not None else {}
        name = message["name"]
        if name not in namespace:
            self.send({"op": "missing", "name": name, "output": self.out.take()})
            return
        try:
            args, kwargs = Decoder(buffers, self.callback).decode(message["args"])
            value = namespace[name]
            result = value(*args, **kwargs) if message["op"] == "call" else value
        except BaseException as error:  # the learner's own error, reported as data
            self.send({"op": "raise", "error": describe_error(error),
                       "output": self.out.take()})
            return
        encoder = Encoder()
        try:
            tree = encoder.encode(result)
            size = sum(len(b) for b in encoder.buffers)
            if size > REPLY_LIMIT - 1024**2:
                raise ChannelError(f"{size // 1024**2} MiB of data, more than the grader reads "
                                   f"({REPLY_LIMIT // 1024**2 - 1} MiB)")
        except ChannelError as error:
            self.send({"op": "raise", "output": self.out.take(),
                       "error": {"type": "UnreadableResult", "bases": ["Exception"],
                                 "message": f"returned {error}", "line": None}})
            return
        self.send({"op": "return", "value": tree, "output": self.out.take()}, encoder.buffers)

    def serve(self) -> None:
        while True:
            try:
                message, buffers = self.receive()
            except EOFError:
                return
            op = message.get("op")
            if op == "run":
                self.run_cells(message["cells"], int(message.get("limit", 32 * 1024)))
            elif op in ("call", "get"):
                self.call(message, buffers)
            else:
                return


def main() -> None:
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    runner = Runner(requests, replies)
    sys.stdout = sys.stderr = runner.out
    sys.stdin = io.StringIO("")
    runner.serve()


if __name__ == "__main__":
    main()
