"""The lab hub end to end: two learners on a real JupyterHub, the instructor grading them.

`hub/lab.py` starts JupyterHub on free loopback ports with two learner accounts (system users
made for the test, homes in a temporary folder). Each learner, in headless Chromium, clicks the
course's nbgitpuller link (a bare clone of this repository, file:// URL), logs in with the
shared password, lands on the index, runs a widget notebook and moves its control, fetches
ex03 from the Assignments tab, writes an answer (one right, one wrong), saves and submits.
The instructor collects, grades with `rnnlesson grade` and returns the feedback through
nbgrader's exchange; each learner fetches feedback and finds their own page only. A second
click on the link after the instructor pushes a change merges it and keeps the learner's
edit. Everything is stopped by process id; no process of the learners is left.

The hub needs root (system users), Chromium, bubblewrap, git, `hub/venv` and the proxy
(`make test-hub` or `make hub` installs the last two; `make test` does under CI=true).
Without one of them the test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import browser_support as bs
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "hub"))
import lab as hublab  # noqa: E402 - hub/ is a folder of scripts, not a package

STEM = "ex03-rnn-cell-forward"
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
WIDGET_NOTEBOOK = "notebooks/05-the-rnn-cell.ipynb"
LEARNERS = {"rnl-ann": "right", "rnl-bob": "wrong"}
RIGHT = '''    a_next = np.tanh(params["Waa"] @ a_prev + params["Wax"] @ xt + params["ba"])
    yt_pred = softmax(params["Wya"] @ a_next + params["by"])
    cache = (a_next, a_prev, xt, params)'''
# The classic slip: the bias of the output layer is left out.
WRONG = RIGHT.replace(' + params["by"]', "")


# --------------------------------------------------------------------------- what it needs


def _missing() -> list[str]:
    missing = []
    if os.geteuid() != 0:
        missing.append("root (the hub makes system users)")
    if not bs.chromium_available():
        missing.append(bs.MISSING_BROWSER)
    for tool in ("bwrap", "git", "useradd", "runuser"):
        if shutil.which(tool) is None:
            missing.append(f"{tool} (Debian: bubblewrap, git, passwd, util-linux)")
    if not (hublab.VENV_BIN / "jupyterhub").exists() or not hublab.PROXY.exists():
        missing.append("hub/venv and hub/node_modules: run `make test-hub` (or `make hub`)")
    return missing


def _require_everything():
    missing = _missing()
    if missing:
        message = "the lab hub test needs: " + "; ".join(missing)
        if bs.in_ci():
            pytest.fail(message)
        pytest.skip(message)


# --------------------------------------------------------------------------- small pieces


def _processes_left(names, grace=10.0):
    """{name: pids} of the accounts' processes still there after `grace` seconds (an ended
    process stays listed until its new parent, the machine's init, reaps it)."""
    deadline = time.monotonic() + grace
    while True:
        left = {name: subprocess.run(["pgrep", "-u", name], capture_output=True,
                                     text=True).stdout.split() for name in names}
        if not any(left.values()) or time.monotonic() > deadline:
            return {name: pids for name, pids in left.items() if pids}
        time.sleep(0.5)


def _in_own_thread(work):
    """Run work() in a thread of its own and re-raise what it raised. Playwright's sync API
    refuses a thread where an asyncio loop is running, and in a full pytest session an earlier
    test can leave one marked running in the main thread (seen once under xdist)."""
    failure = []

    def run():
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="hub-browser")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def _link(hub_url: str, repo_url: str, branch: str) -> str:
    """The README's nbgitpuller link, for this hub and repository."""
    query = urllib.parse.urlencode({
        "repo": repo_url, "branch": branch,
        "urlpath": "lab/tree/rnnlesson/notebooks/00-index.ipynb"})
    return f"{hub_url}/hub/user-redirect/git-pull?{query}"


class UserServer:
    """What browser_support.LabPage needs of a server, for one learner's server on the hub."""

    def __init__(self, hub_url: str, name: str, context):
        self.base = f"{hub_url}/user/{name}"
        self.context = context

    def url(self, relpath: str) -> str:
        return f"{self.base}/lab/tree/{relpath}?reset"

    def _xsrf(self) -> str:
        return next(c["value"] for c in self.context.cookies() if c["name"] == "_xsrf")

    def contents(self, relpath: str) -> dict:
        resp = self.context.request.get(f"{self.base}/api/contents/{relpath}")
        assert resp.ok, f"GET {relpath}: {resp.status} {resp.text()[:200]}"
        return resp.json()

    def put_text(self, relpath: str, text: str) -> None:
        resp = self.context.request.put(
            f"{self.base}/api/contents/{relpath}",
            data=json.dumps({"type": "file", "format": "text", "content": text}),
            headers={"X-XSRFToken": self._xsrf(), "Content-Type": "application/json"})
        assert resp.ok, f"PUT {relpath}: {resp.status} {resp.text()[:200]}"

    def shutdown_kernels_of(self, relpath: str) -> None:
        resp = self.context.request.get(f"{self.base}/api/sessions")
        for session in resp.json() if resp.ok else []:
            if session.get("path") == relpath:
                self.context.request.delete(f"{self.base}/api/sessions/{session['id']}",
                                            headers={"X-XSRFToken": self._xsrf()})


def _log_in_through_link(page, link: str, name: str, password: str) -> None:
    """Click the link, meet the login form, sign in (the hub starts the server and pulls)."""
    page.goto(link, wait_until="domcontentloaded")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit", no_wait_after=True)


def _land_on_index(page) -> None:
    """Wait until the pull is done and the index is open in JupyterLab."""
    page.wait_for_url("**/lab/tree/rnnlesson/notebooks/00-index.ipynb**", timeout=120_000)
    page.wait_for_selector(f"{bs.PANEL} .jp-Notebook .jp-Cell", state="attached",
                           timeout=60_000)


def _assignments_tab(page):
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator('.lm-Menu-item[data-command="nbgrader:open-assignment-list"]').click()
    tab = page.locator("#nbgrader-assignment-list:not(.lm-mod-hidden)").first
    tab.wait_for()
    return tab


def _fetch(page) -> None:
    tab = _assignments_tab(page)
    row = tab.locator("#released_assignments_list .list_item", has_text=STEM).first
    row.locator("button", has_text="Fetch").click()
    tab.locator("#fetched_assignments_list .list_item", has_text=STEM).first.wait_for()


def _write_answer(page, server: UserServer, answer: str) -> None:
    """Open the fetched notebook, replace the stub in the answer cell with `answer`, save."""
    rel = f"{STEM}/{STEM}.ipynb"
    lab = bs.LabPage.open(page.context, server, rel)
    try:
        lab.wait_kernel_idle()
        cell = lab.page.locator(f"{bs.PANEL} .jp-CodeCell").nth(1)  # the answer cell
        source = "".join(server.contents(rel)["content"]["cells"][2]["source"])
        assert STUB in source, source
        cell.locator(".cm-content").click()
        lab.page.keyboard.press("Control+a")  # the whole cell, typed over as it will read
        lab.page.keyboard.insert_text(source.replace(STUB, answer))
        lab.page.keyboard.press("Control+s")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            resp = server.context.request.get(f"{server.base}/api/contents/{rel}")
            if resp.ok:  # not while the file is being written
                saved = resp.json()["content"]["cells"]
                text = "".join(c["source"] for c in saved if c["cell_type"] == "code")
                if "np.tanh" in text and "NotImplementedError" not in text:
                    break
            lab.page.wait_for_timeout(300)
        else:
            raise AssertionError(f"the answer was not saved within 20 s ({rel})")
    finally:
        lab.close()


def _submit(page) -> None:
    tab = _assignments_tab(page)
    row = tab.locator("#fetched_assignments_list .list_item", has_text=STEM).first
    row.locator("button", has_text="Submit").click()
    tab.locator("#submitted_assignments_list .list_item", has_text=STEM).first.wait_for()


def _fetch_feedback(page) -> None:
    tab = _assignments_tab(page)
    tab.locator("#refresh_assignments_list").click()
    row = tab.locator("#submitted_assignments_list .list_item", has_text=STEM).first
    button = row.locator("button", has_text="Fetch Feedback")
    button.wait_for()
    button.click()
    row.locator("text=/view feedback/i").first.wait_for(timeout=30_000)


# --------------------------------------------------------------------------- the test


@pytest.fixture
def lab_hub():
    """A hub on free loopback ports with the two learners; stopped and removed afterwards."""
    _require_everything()
    base = Path(tempfile.mkdtemp(prefix="rnnlesson-hub-"))
    base.chmod(0o755)  # the learners reach their homes, the exchange and the course repository
    (base / "homes").mkdir(mode=0o755)
    learners_file = base / "learners.txt"
    learners_file.write_text("# the test's class\n" + "\n".join(LEARNERS) + "\n")
    hublab.remove_learner_accounts(list(LEARNERS))  # left over by a killed run
    lab = hublab.Lab(state=base / "state", port=bs.free_port(), hub_port=bs.free_port(),
                     proxy_api_port=bs.free_port(), homes=base / "homes")
    pid = hublab.start(lab, learners_file)
    try:
        yield lab, base, pid
    finally:
        hublab.stop(lab)
        left = _processes_left(LEARNERS)
        hublab.remove_learner_accounts(list(LEARNERS))
        shutil.rmtree(base, ignore_errors=True)
        assert not any(left.values()), (
            f"processes of the learners outlived the hub: {left}")


def _course_repository(base: Path) -> tuple[str, Path, Path]:
    """A bare clone of this repository's HEAD on branch main, and a working copy to push from."""
    bare = base / "git" / "rnnlesson"
    _git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    _git("push", "--quiet", str(bare), "HEAD:refs/heads/main", cwd=REPO)
    work = base / "instructor-work"
    _git("clone", "--quiet", "--branch", "main", str(bare), str(work))
    _git("config", "user.email", "instructor@example.org", cwd=work)
    _git("config", "user.name", "Instructor", cwd=work)
    subprocess.run(["chmod", "-R", "a+rX", str(bare)], check=True)
    return f"file://{bare}", bare, work


@pytest.mark.hub
@pytest.mark.slow
def test_lab_hub_end_to_end(lab_hub):
    from playwright.sync_api import sync_playwright

    lab, base, pid = lab_hub
    start = last = time.monotonic()

    def lap(what):
        nonlocal last
        now = time.monotonic()
        print(f"{what}: {now - last:.1f} s (total {now - start:.1f} s)")
        last = now

    assert hublab.running_pid(lab) == pid
    repo_url, bare, work = _course_repository(base)
    for name in LEARNERS:
        # git refuses a repository another user owns; a course served from a local folder
        # (not https) needs each learner to trust it, as `git` itself says.
        subprocess.run(["runuser", "-u", name, "--", "git", "config", "--global", "--add",
                        "safe.directory", str(bare)], check=True, cwd=lab.homes / name)
    link = _link(lab.url, repo_url, "main")
    password = lab.password_file.read_text().strip()
    hublab.release(lab, STEM)

    def drive():
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(bs.CHROMIUM), headless=True,
                                         args=bs.CHROMIUM_ARGS)
            try:
                pages, servers = {}, {}
                for name in LEARNERS:  # both log in at once, as a room does
                    context = browser.new_context(viewport={"width": 1280, "height": 1000})
                    pages[name] = context.new_page()
                    pages[name].set_default_timeout(60_000)
                    servers[name] = UserServer(lab.url, name, context)
                    _log_in_through_link(pages[name], link, name, password)
                for name, kind in LEARNERS.items():
                    page, server, context = pages[name], servers[name], servers[name].context
                    _land_on_index(page)
                    lap(f"{name} logged in, course pulled")

                    # The course arrived in the learner's home, owned by the learner.
                    home = lab.homes / name
                    assert (home / "rnnlesson" / "notebooks" / "00-index.ipynb").is_file()
                    assert (home / "rnnlesson").stat().st_uid == hublab.pwd.getpwnam(name).pw_uid

                    # A widget notebook runs in the learner's kernel; its control moves the output.
                    nb = bs.LabPage.open(context, server, f"rnnlesson/{WIDGET_NOTEBOOK}")
                    try:
                        nb.run_all()
                        assert nb.error_outputs() == [], nb.error_outputs()
                        assert nb.widget_problems() == []
                        moved = nb.interact_with_each_control()
                        assert any(m.changed for m in moved), f"no widget responded: {moved}"
                    finally:
                        nb.close()

                    lap(f"{name} widget notebook")
                    # The course's no-pop-up settings: seconds after landing, the index shows no
                    # toast (JupyterLab's news question) and no dialog.
                    toasts = page.locator(".Toastify__toast").all_inner_texts()
                    assert not toasts, f"pop-ups on {name}'s first start: {toasts}"
                    assert not page.locator(".jp-Dialog").all_inner_texts()
                    _fetch(page)
                    assert (home / STEM / f"{STEM}.ipynb").is_file()
                    lap(f"{name} fetched")
                    _write_answer(page, server, RIGHT if kind == "right" else WRONG)
                    lap(f"{name} answered")
                    _submit(page)

                lap("both submitted")
                # The instructor: collect (each submission under its learner's own id), grade.
                submitted = hublab.collect(lab, STEM)
                assert sorted(p.name for p in submitted.iterdir()) == sorted(LEARNERS)
                lap("collected")
                out = hublab.grade(lab, STEM)
                with open(out / "grades.csv", newline="") as fh:
                    rows = list(csv.DictReader(fh))
                assert [(r["student"], r["exercise"], r["status"]) for r in rows] == [
                    ("rnl-ann", STEM, "ok"), ("rnl-bob", STEM, "failed")]
                assert float(rows[0]["score"]) == float(rows[0]["max_score"]) > 0
                assert float(rows[1]["score"]) < float(rows[1]["max_score"])
                lap("graded")
                assert sorted(hublab.return_feedback(lab, STEM)) == sorted(LEARNERS)

                # Each learner fetches feedback and finds their own page, and only theirs.
                for name in LEARNERS:
                    _fetch_feedback(pages[name])
                    folder = lab.homes / name / STEM / "feedback"
                    got = list(folder.glob(f"*/{STEM}.html"))
                    assert len(got) == 1, got
                    own = (out / "feedback" / name / f"{STEM}.html").read_bytes()
                    assert got[0].read_bytes() == own
                    other = next(n for n in LEARNERS if n != name)
                    assert own != (out / "feedback" / other / f"{STEM}.html").read_bytes()
                # Nobody can list the returned pages (each is filed under a learner's secret).
                returned = lab.exchange / hublab.COURSE_ID / "feedback"
                listing = subprocess.run(["runuser", "-u", "rnl-ann", "--", "ls", str(returned)],
                                         capture_output=True, text=True)
                assert listing.returncode != 0, listing.stdout

                lap("feedback fetched and checked")
                # The second click: the instructor pushes a change, the learner's edit survives.
                ann = servers["rnl-ann"]
                mine = "rnnlesson/notebooks/my-notes.md"
                ann.put_text(mine, "my notes\n")
                index = "rnnlesson/README.md"
                edited = ann.contents(index)["content"] + "\nA line the learner added.\n"
                ann.put_text(index, edited)
                (work / "notebooks" / "announcement.md").write_text("Lab 2 starts at ten.\n")
                _git("add", "notebooks/announcement.md", cwd=work)
                _git("commit", "--quiet", "-m", "An announcement for the class", cwd=work)
                _git("push", "--quiet", "origin", "main", cwd=work)
                page = pages["rnl-ann"]
                page.goto(link, wait_until="domcontentloaded")
                page.wait_for_url("**/lab/tree/rnnlesson/notebooks/00-index.ipynb**",
                                  timeout=120_000)
                clone = lab.homes / "rnl-ann" / "rnnlesson"
                assert (clone / "notebooks" / "announcement.md").read_text() == (
                    "Lab 2 starts at ten.\n")
                assert (clone / "notebooks" / "my-notes.md").read_text() == "my notes\n"
                assert (clone / "README.md").read_text() == edited
                lap("second click")
            finally:
                browser.close()

    _in_own_thread(drive)

    assert hublab.stop(lab)
    assert hublab.running_pid(lab) is None
    assert not _processes_left(["rnl-ann"])


# --------------------------------------------------------------------------- no hub needed


def test_learner_list_reads_names_and_names_bad_lines(tmp_path):
    good = tmp_path / "learners.txt"
    good.write_text("# room 2\nada\n\n  grace  # second row\nalan-t\n")
    assert hublab.read_learners(good) == ["ada", "grace", "alan-t"]
    for text, expected in [
        ("ada\nGrace\n", "line 2: expected a user name of lowercase letters"),
        ("ada\nada\n", "line 2: 'ada' is listed twice"),
        ("# nobody\n", "expected at least one user name"),
        ("ada lovelace\n", "got 'ada lovelace'"),
    ]:
        good.write_text(text)
        with pytest.raises(ValueError, match=expected):
            hublab.read_learners(good)
    with pytest.raises(ValueError, match="no such file; copy hub/learners.example.txt"):
        hublab.read_learners(tmp_path / "missing.txt")
    assert hublab.read_learners(REPO / "hub" / "learners.example.txt")


def test_lab_refuses_an_account_it_did_not_create():
    root = hublab.pwd.getpwuid(0).pw_name
    with pytest.raises(ValueError, match=f"'{root}' is already a system account"):
        hublab.ensure_learner_accounts([root])


def _mib(size: str) -> float:
    """KubeSpawner's sizes: K, M, G, T are powers of 1024."""
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 ** 2}
    return float(size[:-1]) * units[size[-1]]


def test_zero_to_jupyterhub_config_matches_the_repository():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((REPO / "hub" / "zero-to-jupyterhub" / "config.yaml").read_text())
    single = config["singleuser"]
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    # The image is this repository built by repo2docker, which needs nbgitpuller in it.
    assert single["image"]["name"].split("/")[-1] == environment["name"] == "rnnlesson"
    assert "nbgitpuller" in environment["dependencies"]
    # The pull lands in ~/rnnlesson, and the default URL opens the index there, as the
    # README's link does.
    puller = single["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert puller[0] == "gitpuller" and puller[3] == "rnnlesson"
    target = single["defaultUrl"].removeprefix("/lab/tree/rnnlesson/")
    assert (REPO / target).is_file(), single["defaultUrl"]
    readme = (REPO / "README.md").read_text()
    assert urllib.parse.quote(single["defaultUrl"].lstrip("/"), safe="") in readme
    assert urllib.parse.quote(puller[1], safe="") in readme
    # The memory figures come from the measurement.
    measured = json.loads((REPO / "benchmarks" / "kernel_memory.json").read_text())
    largest, server = max(measured["peak_mib"].values()), measured["server_mib"]
    assert set(measured["peak_mib"]) == {p.name for p in (REPO / "notebooks").glob("*.ipynb")}
    guarantee, limit = _mib(single["memory"]["guarantee"]), _mib(single["memory"]["limit"])
    assert server + largest <= guarantee < server + 2 * largest <= limit
    # The guide quotes the same figures.
    guide = (REPO / "docs" / "instructor.md").read_text()
    smallest = min(measured["peak_mib"].values())
    heaviest = Path(max(measured["peak_mib"], key=measured["peak_mib"].get)).stem
    assert f"`{heaviest}`, peaked at {largest:.0f} MiB" in guide
    second = sorted(measured["peak_mib"].values())[-2]
    assert f"the others between {smallest:.0f} and {second:.0f} MiB" in guide
    assert f"the server at {server:.0f} MiB" in guide
    per_node = int(16 * 1024 // guarantee)
    at_limit = int(16 * 1024 // limit)
    assert f"16 GiB free for learners holds {per_node} learners at the guarantee, or " \
           f"{at_limit} if" in " ".join(guide.split())
    assert single["memory"]["guarantee"] in guide and single["memory"]["limit"] in guide


@pytest.mark.slow
def test_kernel_memory_benchmark_measures_a_notebook_and_the_server(tmp_path):
    """The benchmark runs the index in a fresh kernel; its figures are near the stored ones."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import bench_kernel_memory as bench

    out = tmp_path / "memory.json"
    assert bench.main([str(REPO / "notebooks" / "00-index.ipynb"), "--out", str(out)]) == 0
    fresh = json.loads(out.read_text())
    stored = json.loads((REPO / "benchmarks" / "kernel_memory.json").read_text())
    assert list(fresh["peak_mib"]) == ["00-index.ipynb"]
    for got, kept in ((fresh["peak_mib"]["00-index.ipynb"], stored["peak_mib"]["00-index.ipynb"]),
                      (fresh["server_mib"], stored["server_mib"])):
        assert kept / 2 < got < kept * 2, (got, kept)
