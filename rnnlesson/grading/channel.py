"""The data-only channel between the grader and a learner's sandbox.

What crosses it is data: None, booleans, numbers, strings, bytes, lists, tuples, dicts of
those, numpy arrays of numbers, booleans or text (never of objects), numpy scalars, and two
of the package's plain records (``Vocabulary``, ``Sentence``), rebuilt field by field. A
function the grader passes to the learner's code travels as a number: calling it in the
sandbox asks the grader to run it (a callback), so the grader's code never enters the
sandbox. No pickle, no object of the sender's choosing: the receiver builds every value
itself from a JSON header and raw array bytes, and refuses anything else.

A message is one frame: 4 bytes (big-endian) giving the header's length, the header (JSON:
the message, with arrays as references to buffers, and the buffers' lengths), then the
buffers. Every frame read is bounded by ``limit`` bytes, so a reply cannot flood the grader.
"""
from __future__ import annotations

import json
import math
import struct

import numpy as np

MAX_DEPTH = 64
REPLY_LIMIT = 64 * 1024**2  # bytes of one message from a sandbox
MAX_HEADER = 16 * 1024**2
DTYPE_KINDS = "biufcU"  # booleans, integers, floats, complex, text; never objects ("O")


class ChannelError(Exception):
    """A value that cannot cross, or a frame that is not one (too big, malformed)."""


class TooBig(ChannelError):
    """A frame larger than its reader takes."""


def _records():
    from rnnlesson.datasets import Sentence, Vocabulary

    return {"Vocabulary": Vocabulary, "Sentence": Sentence}


class Encoder:
    """Turns a value into a JSON-able tree plus buffers; callables get numbers (``functions``)."""

    def __init__(self, allow_functions: bool = False):
        self.buffers: list[bytes] = []
        self.functions: list = []
        self.allow_functions = allow_functions

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ChannelError(f"a value nested more than {MAX_DEPTH} levels deep")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, np.generic):
            return value if abs(value) < 2**63 else {"$": "bigint", "v": str(value)}
        if isinstance(value, float) and not isinstance(value, np.generic):
            return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
        if isinstance(value, np.ndarray):
            return self._array(value, "nd")
        if isinstance(value, np.generic):
            return self._array(np.asarray(value), "np")
        if isinstance(value, (bytes, bytearray)):
            self.buffers.append(bytes(value))
            return {"$": "bytes", "b": len(self.buffers) - 1}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            return {"$": kind, "v": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            return {"$": "dict", "k": [self.encode(k, depth + 1) for k in value],
                    "v": [self.encode(v, depth + 1) for v in value.values()]}
        for name, cls in _records().items():
            if type(value) is cls:
                fields = {f: getattr(value, f) for f in cls.__dataclass_fields__}
                return {"$": "record", "type": name, "v": self.encode(fields, depth + 1)}
        if callable(value) and self.allow_functions:
            self.functions.append(value)
            return {"$": "fn", "id": len(self.functions) - 1}
        raise ChannelError(f"a value of type {type(value).__name__} (only numbers, strings, "
                           "lists, tuples, dicts and numpy arrays of numbers can be graded)")

    def _array(self, array: np.ndarray, tag: str):
        if array.dtype.kind not in DTYPE_KINDS:
            raise ChannelError(f"a numpy array of dtype {array.dtype} (only numbers, "
                               "booleans and text can be graded)")
        data = array if array.flags.c_contiguous else np.ascontiguousarray(array)  # keeps 0-d
        self.buffers.append(data.tobytes())
        return {"$": tag, "dtype": data.dtype.str, "shape": list(data.shape),
                "b": len(self.buffers) - 1}


class Decoder:
    """Builds values from a tree and its buffers; ``function(id)`` makes a callable stand-in."""

    def __init__(self, buffers: list[bytes], function=None):
        self.buffers, self.function = buffers, function

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ChannelError("a value nested too deep")
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if isinstance(node, list):
            raise ChannelError("a bare list in a message")
        if not isinstance(node, dict):
            raise ChannelError(f"an unknown value {type(node).__name__}")
        tag = node.get("$")
        if tag == "bigint":
            return int(node["v"])
        if tag == "float":
            return float(node["v"])
        if tag in ("nd", "np"):
            dtype = np.dtype(node["dtype"])
            if dtype.kind not in DTYPE_KINDS or dtype.hasobject:
                raise ChannelError(f"an array of dtype {dtype}")
            shape = tuple(int(n) for n in node["shape"])
            data = self.buffers[node["b"]]
            if len(data) != dtype.itemsize * math.prod(shape):
                raise ChannelError("an array whose bytes do not match its shape")
            array = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
            return array[()] if tag == "np" else array
        if tag == "bytes":
            return bytes(self.buffers[node["b"]])
        if tag in ("list", "tuple"):
            items = [self.decode(v, depth + 1) for v in node["v"]]
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            keys = [self.decode(k, depth + 1) for k in node["k"]]
            values = [self.decode(v, depth + 1) for v in node["v"]]
            try:
                return dict(zip(keys, values, strict=True))
            except TypeError:
                raise ChannelError("a dict with a key that is not hashable") from None
        if tag == "record":
            cls = _records().get(node.get("type"))
            fields = self.decode(node["v"], depth + 1)
            if cls is None or not isinstance(fields, dict) \
                    or set(fields) != set(cls.__dataclass_fields__):
                raise ChannelError(f"an unknown record {node.get('type')!r}")
            return cls(**fields)
        if tag == "fn" and self.function is not None:
            return self.function(int(node["id"]))
        raise ChannelError(f"an unknown value tagged {tag!r}")


def pack(message: dict, buffers: list[bytes]) -> bytes:
    header = json.dumps({"m": message, "sizes": [len(b) for b in buffers]},
                        allow_nan=False).encode()
    return struct.pack(">I", len(header)) + header + b"".join(buffers)


def _read_exactly(stream, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream, limit: int) -> tuple[dict, list[bytes]]:
    """One message and its buffers from a binary stream; ChannelError beyond ``limit`` bytes."""
    (size,) = struct.unpack(">I", _read_exactly(stream, 4))
    if size > min(limit, MAX_HEADER):
        raise TooBig(f"a message of more than {min(limit, MAX_HEADER)} bytes")
    try:
        header = json.loads(_read_exactly(stream, size))
        message, sizes = header["m"], [int(n) for n in header["sizes"]]
    except (ValueError, KeyError, TypeError):
        raise ChannelError("a malformed message") from None
    if not isinstance(message, dict) or any(n < 0 for n in sizes):
        raise ChannelError("a malformed message")
    if size + sum(sizes) > limit:
        raise TooBig(f"a message of more than {limit // 1024**2} MiB")
    return message, [_read_exactly(stream, n) for n in sizes]


def write_frame(stream, message: dict, buffers: list[bytes] = ()) -> None:
    stream.write(pack(message, list(buffers)))
    stream.flush()
