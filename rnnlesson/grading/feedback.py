"""The feedback page of one graded notebook: results, not secrets.

The page shows the score and status, each test by name with its points and whether it
passed (and the check's message of a failure), what each test printed, and the learner's
own cells with their outputs. It never shows a test's source: hidden tests never enter the
sandbox, so no output can hold them, and a hidden test's failure is told without its text
or values. The grader's own paths are blanked. The learner's code and output are capped
(``CELL_LIMIT`` per cell, ``PAGE_LIMIT`` per page), with a note where they were cut.
``show_tests=True`` (the instructor's opt-in) adds each test cell's full source.
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
         ".passed{color:#05612b}.failed,.uses-reference,.not-run{color:#9c1c1c}")
STATE_WORDS = {"passed": "passed", "failed": "failed", "not-run": "not run",
               "uses-reference": "failed: uses the package's reference"}


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


def page(result: Result, answers=None, verdicts=(), scrub: Scrubber | None = None,
         show_tests: bool = False, shown=None, steps=()) -> bytes:
    """The HTML feedback page.

    answers: [(source, output)] of the learner's own cells, None when nothing was run;
    shown: {test grade id: what the test printed, with the learner's output during it};
    steps: the replayed solution's steps (their test sources, shown with ``show_tests``).
    """
    scrub = scrub or Scrubber([], [])
    shown = shown or {}
    esc = html.escape
    title = f"{result.exercise}: {format_points(result.score)} / " \
            f"{format_points(result.max_score)} ({result.status})"
    parts = [f"<h1>{esc(result.exercise)}</h1>",
             f"<p><strong>Score: {format_points(result.score)} / "
             f"{format_points(result.max_score)}</strong>. Status: <code>{esc(result.status)}"
             f"</code>: {esc(STATUSES.get(result.status, ''))}.</p>"]
    if result.detail:
        parts.append(f"<p>{esc(scrub(result.detail))}</p>")
    budget = Budget(PAGE_LIMIT)
    if verdicts:
        rows = "".join(
            f"<tr><td>{esc(v.name)}</td><td>{format_points(v.earned)} / "
            f"{format_points(v.points)}</td><td class=\"{esc(v.state)}\">"
            f"{esc(STATE_WORDS.get(v.state, v.state))}</td><td>"
            f"{esc(budget.take(scrub(v.message), CELL_LIMIT))}</td></tr>" for v in verdicts)
        parts.append("<h2>Tests</h2><table><tr><th>test</th><th>points</th><th>result</th>"
                     f"<th>message</th></tr>{rows}</table>")
        for v in verdicts:
            text = shown.get(v.grade_id, "")
            if text.strip():
                parts.append(f"<h3>Printed during the test {esc(v.name)}</h3>"
                             f"<pre class=\"output\">"
                             f"{esc(budget.take(scrub(text), CELL_LIMIT))}</pre>")
    if show_tests:
        for step in steps:
            if step.get("kind") == "test":
                parts.append(f"<h3>Test {esc(step['grade_id'])}</h3>"
                             f"<pre>{esc(step['visible'] + step['hidden'])}</pre>")
    if answers is not None:
        parts.append("<h2>Your answers</h2>")
        for source, text in answers:
            parts.append(f"<pre>{esc(budget.take(scrub(source), CELL_LIMIT))}</pre>")
            if text.strip():
                parts.append(f"<pre class=\"output\">"
                             f"{esc(budget.take(scrub(text), CELL_LIMIT))}</pre>")
    if budget.cut:
        parts.append("<p>Some of the text was cut: a feedback page keeps at most "
                     f"{PAGE_LIMIT // 1024} KB of the learner's code and output.</p>")
    body = "\n".join(parts)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n"
            "</body></html>\n").encode()
