"""Build the course site once for the tests that read it (tests/test_site*.py).

`built_site()` runs what `make html` runs into build/test-site and returns that folder. The
build is reused while its sources are unchanged (a digest of every file it reads); a lock lets
two test workers share one build. `serve(site)` serves a folder on 127.0.0.1 from a thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITE_CONF = REPO / "docs" / "site"
OUT = REPO / "build" / "test-site"
# What the site is built from, and uv.lock for the versions of the tools that build it.
SOURCES = ("notebooks/*.ipynb", "exercises/*.ipynb", "README.md", "docs/*.md", "docs/site/**/*",
           "uv.lock")


def sphinx_command(out: Path) -> list[str]:
    """The build `make html` runs (warnings are errors), into `out`."""
    return [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going",
            "-c", str(SITE_CONF), str(REPO), str(out)]


def sources_digest() -> str:
    digest = hashlib.sha256()
    for pattern in SOURCES:
        for path in sorted(REPO.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(REPO).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def built_site() -> Path:
    """build/test-site, built afresh unless it was built from these very sources."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    stamp = OUT / ".sources-digest"
    with open(OUT.parent / ".test-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = sources_digest()
        if stamp.is_file() and stamp.read_text() == wanted:
            return OUT
        shutil.rmtree(OUT, ignore_errors=True)
        result = subprocess.run(sphinx_command(OUT), cwd=REPO, capture_output=True,
                                text=True, timeout=900)
        if result.returncode != 0:
            raise AssertionError("the site did not build:\n" + result.stdout + result.stderr)
        stamp.write_text(wanted)
        return OUT


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """http://127.0.0.1:PORT serving `folder`, for as long as the block runs."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
