"""The feedback page of one graded notebook: results, not secrets.

The page shows the score and status, each test by name with its points and whether it
passed (and the one-line message of a failure), and the learner's own cells with their
outputs. It never shows a test's source (hidden tests included) nor a traceback; any line of
a hidden test that turns up in an output (a notebook can print ``In``) is blanked, and so
are the grader's own paths. Output is capped: at most ``PAGE_LIMIT`` bytes of it per page,
with a note where it was cut. ``show_tests=True`` (the instructor's opt-in) adds each test
cell's full source and the error's traceback.
"""
from __future__ import annotations

import html
import re

from .results import STATUSES, Result, format_points

PAGE_LIMIT = 256 * 1024   # bytes of outputs per page
CELL_LIMIT = 32 * 1024    # bytes of outputs per cell
MIN_SECRET = 12           # shorter lines of a hidden test (e.g. "else:") are not blanked
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
         "pre{background:#f6f6f6;padding:.5em;overflow-x:auto;white-space:pre-wrap}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}"
         ".passed{color:#05612b}.failed,.tampered,.uses-reference,.not-run{color:#9c1c1c}")
STATE_WORDS = {"passed": "passed", "failed": "failed", "not-run": "not run",
               "tampered": "not trusted (tampered)", "uses-reference":
               "failed: uses the package's reference"}


class Scrubber:
    """Blanks hidden-test lines and the grader's paths in text shown to a learner."""

    def __init__(self, hidden_lines: list[str], paths: list[str]):
        lines = {ln.strip() for ln in hidden_lines if len(ln.strip()) >= MIN_SECRET}
        self.lines = sorted(lines, key=len, reverse=True)
        self.paths = sorted({p.rstrip("/") for p in paths if p and p != "/"}, key=len,
                            reverse=True)

    def __call__(self, text: str) -> str:
        text = ANSI.sub("", text)
        for line in self.lines:
            if line in text:
                text = text.replace(line, "[hidden test]")
        for path in self.paths:
            text = text.replace(path, "...")
        return text


def _output_text(out) -> str:
    if out.output_type == "stream":
        return out.text
    if out.output_type == "error":
        return f"{out.ename}: {out.evalue}"
    data = out.get("data", {})
    if "text/plain" in data:
        return data["text/plain"] if isinstance(data["text/plain"], str) \
            else "".join(data["text/plain"])
    return "[" + ", ".join(sorted(data)) + "]"


class Budget:
    def __init__(self, total: int):
        self.left = total
        self.cut = False

    def take(self, text: str, limit: int) -> str:
        room = min(limit, self.left)
        if len(text.encode()) <= room:
            self.left -= len(text.encode())
            return text
        self.cut = True
        kept = text.encode()[:max(room, 0)].decode("utf-8", "ignore")
        self.left -= len(kept.encode())
        return kept + f"\n[output cut: {len(text.encode()) - len(kept.encode())} more bytes]"


def page(result: Result, nb=None, verdicts=(), scrub: Scrubber | None = None,
         show_tests: bool = False) -> bytes:
    """The HTML feedback page (nb: the graded notebook, None when nothing was run)."""
    scrub = scrub or Scrubber([], [])
    esc = html.escape
    title = f"{result.exercise}: {format_points(result.score)} / " \
            f"{format_points(result.max_score)} ({result.status})"
    parts = [f"<h1>{esc(result.exercise)}</h1>",
             f"<p><strong>Score: {format_points(result.score)} / "
             f"{format_points(result.max_score)}</strong>. Status: <code>{esc(result.status)}"
             f"</code>: {esc(STATUSES.get(result.status, ''))}.</p>"]
    if result.detail:
        parts.append(f"<p>{esc(scrub(result.detail))}</p>")
    if verdicts:
        rows = "".join(
            f"<tr><td>{esc(v.name)}</td><td>{format_points(v.earned)} / "
            f"{format_points(v.points)}</td><td class=\"{esc(v.state)}\">"
            f"{esc(STATE_WORDS.get(v.state, v.state))}</td><td>{esc(scrub(v.message))}</td>"
            "</tr>" for v in verdicts)
        parts.append("<h2>Tests</h2><table><tr><th>test</th><th>points</th><th>result</th>"
                     f"<th>message</th></tr>{rows}</table>")
    budget = Budget(PAGE_LIMIT)
    if nb is not None:
        parts.append("<h2>Your answers</h2>")
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code":
                continue
            if meta.get("grade") and show_tests:
                parts.append(f"<h3>Test {esc(meta.get('grade_id', ''))}</h3>"
                             f"<pre>{esc(cell.source)}</pre>")
            elif meta.get("locked") or meta.get("grade"):
                continue  # given code and tests: the learner has them; hidden ones stay so
            else:
                parts.append(f"<pre>{esc(scrub(cell.source))}</pre>")
            text = "".join(_output_text(o) for o in cell.get("outputs", []))
            if show_tests:
                text += "".join("\n".join(o.get("traceback", [])) for o in cell.outputs
                                if o.output_type == "error")
            if text.strip():
                parts.append(f"<pre class=\"output\">"
                             f"{esc(budget.take(scrub(text), CELL_LIMIT))}</pre>")
        if budget.cut:
            parts.append("<p>Some output was cut: a feedback page keeps at most "
                         f"{PAGE_LIMIT // 1024} KB of it.</p>")
    body = "\n".join(parts)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n"
            "</body></html>\n").encode()
