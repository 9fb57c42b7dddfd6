"""Open the course as a learner does: JupyterLab from this venv, driven by headless Chromium.

`start_lab` runs one private JupyterLab server (own config, runtime and IPython folders, no
news, no update check, no autosave) and `stop_lab` ends it by its process id. `LabPage` wraps a
Playwright page showing one notebook: run every cell from the Run menu, wait for the kernel,
collect what a learner would see as broken, move a slider and watch the output change.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT_DIR = REPO / "test-artifacts" / "screenshots"
MISSING_BROWSER = (
    f"Chromium is not at {CHROMIUM}: the browser tests need it "
    "(Debian/Ubuntu: `apt-get install chromium`)."
)

# Where the course lives; an override lets the tooling be tried on a throwaway copy.
COURSE_ROOT = Path(os.environ.get("RNNLESSON_COURSE_ROOT", REPO)).resolve()

_WIDGET_USE = re.compile(
    r"^\s*(import\s+ipywidgets|from\s+ipywidgets\b)|\binteract\w*\s*\(|@interact", re.MULTILINE
)


# --------------------------------------------------------------------------- discovery


def _code_sources(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    sources = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            sources.append("".join(src) if isinstance(src, list) else src)
    return sources


def uses_widgets(path: Path) -> bool:
    """True if a code cell imports ipywidgets or calls `interact`/`interactive...`."""
    return any(_WIDGET_USE.search(src) for src in _code_sources(path))


def course_notebooks(root: Path = COURSE_ROOT) -> list[Path]:
    return sorted((root / "notebooks").glob("*.ipynb"))


def widget_notebooks(root: Path = COURSE_ROOT) -> list[Path]:
    return [p for p in course_notebooks(root) if uses_widgets(p)]


def exercise_notebooks(root: Path = COURSE_ROOT) -> list[Path]:
    return sorted((root / "exercises").glob("*.ipynb"))


# --------------------------------------------------------------------------- the server


@dataclass
class LabServer:
    proc: subprocess.Popen
    port: int
    token: str
    root: Path
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, relpath: str) -> str:
        """Lab URL of a file under the root; `reset` opens it in an empty workspace."""
        return f"{self.base}/lab/tree/{relpath}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(
            f"{self.base}{path}", method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def writes(self) -> list[str]:
        """Server log lines of files saved, uploaded or created: a test run should have none."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        marks = ("Saving file at", "Uploading file to", "Creating new")
        return [line for line in lines if any(m in line for m in marks)]

    def shutdown_kernels_of(self, relpath: str) -> None:
        """Stop the kernel a page started, so the next notebook has the CPU to itself."""
        try:
            for session in self.api("/api/sessions"):
                if session.get("path") == relpath:
                    self.api(f"/api/sessions/{session['id']}", method="DELETE")
        except (urllib.error.URLError, OSError):
            pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_private_config(config_dir: Path, checkpoint_dir: Path, quiet: bool = True) -> None:
    """Server and lab settings for a test run: writing nothing into the course, and (quiet)
    without news or update checks. quiet=False leaves those to the environment, as a
    first-time learner's `make lab` finds it."""
    server = {
        "ServerApp": {"open_browser": False},
        # Opening a notebook makes a checkpoint; keep those out of notebooks/.
        "FileCheckpoints": {"checkpoint_dir": str(checkpoint_dir)},
    }
    if quiet:
        server["LabApp"] = {"news_url": None,
                            "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}
    for name in ("jupyter_server_config.json", "jupyter_lab_config.json"):
        (config_dir / name).write_text(json.dumps(server, indent=1))
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab"
    user = {
        # Never write a test run's outputs into the course's notebooks.
        "docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    }
    if quiet:
        user["apputils-extension/notification.jupyterlab-settings"] = {
            "fetchNews": "false", "checkForUpdates": False}
    for rel, value in user.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=1))


def start_lab(root: Path, workdir: Path, timeout: float = 90.0, quiet: bool = True,
              work: str = ".test-working-copies",
              extra_args: tuple = ()) -> LabServer:
    """Start `python -m jupyter lab` from this interpreter's environment, on a free port.
    quiet turns news and update checks off; extra_args are added to the command line."""
    names = ("config", "data", "runtime", "ipython", "ws", "checkpoints")
    dirs = {name: workdir / name for name in names}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    _write_private_config(dirs["config"], dirs["checkpoints"], quiet)
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        # User data dir is private; sys.prefix/share/jupyter stays on the search path
        # (jupyter_core adds it after the user dir), so the kernel spec and the widget
        # extension of this venv are found.
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["config"] / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["ws"]),
        IPYTHONDIR=str(dirs["ipython"]),
        MPLCONFIGDIR=str(workdir / "mpl"),
        # The venv's kernel spec says `python`: make that this venv's python.
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTER_CONFIG_PATH", None)
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        *extra_args,
    ]
    if quiet:
        cmd.append("--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    # window.jupyterapp, for tests that wait on JupyterLab's own state (not a fixed time)
    cmd.append("--LabApp.expose_app_in_browser=True")
    # a learner's working copies (work/, rnnlesson.labserver) stay out of the tests' view:
    # this folder is never made unless a test saves (it is inside the served root)
    cmd.append(f"--CourseContents.work={work}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI and containers run as root
        cmd.append("--allow-root")
    log_path = workdir / "jupyterlab.log"
    log = open(log_path, "wb")  # noqa: SIM115 - kept open for the server's lifetime
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    server = LabServer(proc=proc, port=port, token=token, root=root, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            url = f"{server.base}/api/status?token={token}"
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    stop_lab(server)
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def stop_lab(server: LabServer) -> None:
    """Terminate the server by its pid, wait, and kill it if it will not go."""
    proc = server.proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def chromium_available() -> bool:
    return CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)


def in_ci() -> bool:
    return os.environ.get("CI", "") == "true"


# --------------------------------------------------------------------------- one page

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
CODE_PROMPTS = f"{PANEL} .jp-CodeCell > .jp-Cell-inputWrapper .jp-InputPrompt"

# Everything a learner reads in the outputs, minus slider readouts (they echo the control).
_SNAPSHOT_JS = """
(panelSel) => {
  const panel = document.querySelector(panelSel);
  if (!panel) return [];
  const hash = (s) => {
    let x = 0;
    for (let i = 0; i < s.length; i++) { x = (Math.imul(x, 31) + s.charCodeAt(i)) | 0; }
    return s.length + ':' + x;
  };
  const parts = [];
  panel.querySelectorAll('.jp-Cell-outputArea img').forEach(e => parts.push('img ' + hash(e.src)));
  const text = ['.jp-RenderedText', '.jp-RenderedHTMLCommon', '.widget-label',
                '.widget-html-content', '.widget-htmlmath-content']
    .map(s => '.jp-Cell-outputArea ' + s).join(', ');
  panel.querySelectorAll(text).forEach(e => parts.push('txt ' + e.textContent));
  return parts;
}
"""

# Watch the prompts: a run-all shows `[*]` at least once, however short the run.
_WATCH_RUN_JS = """
(promptSel) => {
  window.__rnnSawBusy = false;
  const mark = () => {
    for (const p of document.querySelectorAll(promptSel)) {
      if (p.textContent.includes('[*]')) { window.__rnnSawBusy = true; return; }
    }
  };
  if (window.__rnnObserver) window.__rnnObserver.disconnect();
  window.__rnnObserver = new MutationObserver(mark);
  window.__rnnObserver.observe(document.body,
                               {subtree: true, childList: true, characterData: true});
}
"""

_RUN_DONE_JS = """
([promptSel, panelSel]) => {
  if (!window.__rnnSawBusy) return false;
  const prompts = [...document.querySelectorAll(promptSel)];
  if (prompts.some(p => p.textContent.includes('[*]'))) return false;
  const ind = document.querySelector(panelSel + ' .jp-Notebook-ExecutionIndicator');
  return !!ind && ind.getAttribute('data-status') === 'idle';
}
"""

# Images decoded and two frames drawn, so a screenshot shows no half-painted view.
_PAINTED_JS = """
async () => {
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}
"""


@dataclass
class Interaction:
    cell: int
    control: str
    changed: bool
    detail: str = ""


@dataclass
class LabPage:
    """One notebook open in one fresh Playwright page."""

    page: object
    server: LabServer
    relpath: str
    console_errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, context, server: LabServer, relpath: str, timeout_ms: int = 60_000):
        page = context.new_page()
        lab = cls(page=page, server=server, relpath=relpath)
        page.on("pageerror", lambda exc: lab.console_errors.append(str(exc)))
        page.set_default_timeout(timeout_ms)
        page.goto(server.url(relpath), wait_until="domcontentloaded")
        page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell", state="attached")
        return lab

    def close(self) -> None:
        try:
            self.page.close()
        finally:
            self.server.shutdown_kernels_of(self.relpath)

    # -- kernel and running

    def answer_kernel_dialog(self) -> None:
        """If Lab asks which kernel to use, press Select as a learner would; any other dialog
        in the way fails the test with its text (it would block every click)."""
        dialog = self.page.locator(".jp-Dialog")
        if not dialog.count():
            return
        text = dialog.first.inner_text()
        if "kernel" in text.lower() and "select" in text.lower():
            dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()
            dialog.first.wait_for(state="detached")
            return
        raise AssertionError(f"{self.relpath}: a dialog is in the way: {text.strip()!r}")

    def wait_kernel_idle(self, timeout_ms: int = 60_000) -> None:
        """Wait until the notebook's kernel is started and idle, answering the kernel dialog.

        The execution indicator says idle before a kernel exists, and Lab can ask for a
        kernel after that: so wait for the session's kernel itself, then for idle."""
        idle = f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]'
        has_kernel = """([path, idle]) => {
          if (document.querySelector('.jp-Dialog')) return true;
          const app = window.jupyterapp;
          // a lab that does not expose its app (a JupyterHub user's): the indicator alone
          if (!app) return !!document.querySelector(idle);
          const panel = [...app.shell.widgets('main')].find(
            w => w.context && w.context.path === path);
          const kernel = panel && panel.sessionContext && panel.sessionContext.session
                         && panel.sessionContext.session.kernel;
          return !!kernel && kernel.status === 'idle';
        }"""
        for _ in range(2):  # a kernel dialog answered, then the kernel it starts
            self.page.wait_for_function(has_kernel, arg=[self.relpath, idle],
                                        timeout=timeout_ms, polling=200)
            self.answer_kernel_dialog()
        self.page.wait_for_selector(idle, state="attached", timeout=timeout_ms)

    def _start_run_all(self, tries: int = 3) -> None:
        """Run > Run All Cells until the prompts show `[*]` (a click can land too early)."""
        item = self.page.locator('.lm-Menu-item[data-command="runmenu:run-all"]')
        for _ in range(tries):
            self.answer_kernel_dialog()
            try:
                self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(
                    timeout=15_000)
            except Exception:  # noqa: BLE001 - something covered the menu: say what, retry
                self.answer_kernel_dialog()
                continue
            item.wait_for(state="visible")
            if "lm-mod-disabled" in (item.get_attribute("class") or ""):
                # The notebook is not the current widget yet: close the menu, click into it.
                self.page.keyboard.press("Escape")
                self.page.locator(f"{PANEL} .jp-Cell .jp-InputPrompt").first.click()
                continue
            item.click()
            try:
                self.page.wait_for_function("() => window.__rnnSawBusy", timeout=10_000)
                return
            except Exception:  # noqa: BLE001 - the click did not take; try again
                continue
        raise AssertionError(f"{self.relpath}: Run > Run All Cells did not start a run; "
                             f"dialogs: {self.dialogs()}")

    def run_all(self, timeout_ms: int = 120_000) -> None:
        """Run > Run All Cells, then wait until no prompt shows `[*]` and the kernel is idle."""
        self.wait_kernel_idle()
        self.page.evaluate(_WATCH_RUN_JS, CODE_PROMPTS)
        self._start_run_all()
        try:
            self.page.wait_for_function(
                _RUN_DONE_JS, arg=[CODE_PROMPTS, PANEL], timeout=timeout_ms, polling=200
            )
        except Exception as exc:
            prompts = self.page.locator(CODE_PROMPTS).all_text_contents()
            status = self.page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator")
            raise AssertionError(
                f"{self.relpath}: Run All did not finish in {timeout_ms / 1000:.0f} s; "
                f"saw [*]: {self.page.evaluate('window.__rnnSawBusy')}, "
                f"kernel: {status.first.get_attribute('data-status') if status.count() else '?'}, "
                f"prompts: {' '.join(p.strip() for p in prompts)}, dialogs: {self.dialogs()}"
            ) from exc

    def cells_not_run(self) -> list[int]:
        """Indexes of code cells with code whose prompt shows no execution count."""
        return self.page.evaluate(
            """(panelSel) => {
              const cells = [...document.querySelectorAll(panelSel + ' .jp-CodeCell')];
              return cells.flatMap((c, i) => {
                const code = c.querySelector('.cm-content')?.textContent.trim() ?? '';
                const prompt = c.querySelector('.jp-InputPrompt')?.textContent ?? '';
                return code && !/\\[\\d+\\]/.test(prompt) ? [i] : [];
              });
            }""",
            PANEL,
        )

    # -- what a learner would see as broken

    def error_outputs(self) -> list[str]:
        """Tracebacks and errors shown in the outputs (error outputs render as stderr)."""
        texts = self.page.locator(
            f'{PANEL} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        ).all_inner_texts()
        return [t for t in texts if re.search(r"Traceback|\w*Error\b", t)]

    def wait_language_applied(self, timeout_ms: int = 60_000) -> dict:
        """Wait until JupyterLab has applied the kernel's language_info to the open notebook
        (what it does once the kernel's info arrives, and what used to mark a notebook
        modified); returns the versions then stored and reported, and the dirty flag."""
        self.page.wait_for_function("""() => {
          const app = window.jupyterapp;
          const panel = app && app.shell.currentWidget;
          return !!(panel && panel.context && panel.context.model && panel.sessionContext
                    && panel.sessionContext.session && panel.sessionContext.session.kernel);
        }""", timeout=timeout_ms, polling=200)
        # JupyterLab applies the info in a callback registered before this one: once this
        # await returns, it has run
        return self.page.evaluate("""async () => {
          const panel = window.jupyterapp.shell.currentWidget;
          const info = await panel.sessionContext.session.kernel.info;
          const stored = panel.context.model.getMetadata('language_info') || {};
          return {stored: stored.version || null, kernel: info.language_info.version,
                  dirty: panel.context.model.dirty};
        }""")

    def is_modified(self) -> bool:
        """Whether the notebook's tab shows the unsaved-changes mark (JupyterLab's dirty flag)."""
        tab = self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current")
        tab.first.wait_for(state="attached")
        return "jp-mod-dirty" in (tab.first.get_attribute("class") or "")

    def dialogs(self) -> list[str]:
        found = self.page.locator(".jp-Dialog").all_inner_texts()
        found += self.page.locator(".Toastify__toast--error").all_inner_texts()
        return [t.strip() for t in found]

    def widget_problems(self, settle_ms: int = 15_000) -> list[str]:
        """Widget views that failed or never finished loading."""
        panel = self.page.locator(PANEL)
        deadline = time.monotonic() + settle_ms / 1000
        while panel.get_by_text("Loading widget...").count() and time.monotonic() < deadline:
            self.page.wait_for_timeout(200)
        problems = []
        if (n := panel.get_by_text("Loading widget...").count()):
            problems.append(f"{n} widget view(s) still show 'Loading widget...'")
        for text in panel.get_by_text("Error displaying widget").all_inner_texts():
            problems.append(text.strip())
        return problems

    def widget_view_count(self) -> int:
        return self.page.locator(f"{PANEL} .jp-Cell-outputArea .jupyter-widgets").count()

    # -- interacting

    def snapshot(self) -> list[str]:
        return self.page.evaluate(_SNAPSHOT_JS, PANEL)

    def _idle(self) -> bool:
        ind = self.page.locator(f"{PANEL} .jp-Notebook-ExecutionIndicator")
        return ind.count() > 0 and ind.first.get_attribute("data-status") == "idle"

    def stable_snapshot(self, timeout_s: float = 5.0) -> list[str]:
        """The outputs once they stop changing (late typesetting, a redraw in flight)."""
        last = self.snapshot()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(250)
            now = self.snapshot()
            if now == last and self._idle():
                return now
            last = now
        return last

    def _wait_for_change(self, before: list[str], timeout_s: float) -> bool:
        """True once the outputs differ from `before`, the kernel is idle and nothing moves."""
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            now = self.snapshot()
            if now != before and now == last and self._idle():
                return True
            last = now
            self.page.wait_for_timeout(250)
        return False

    def interact_with_each_control(self, timeout_s: float = 20.0) -> list[Interaction]:
        """In every code cell with a control, change the first one once; see the output follow.

        Sliders come first, then dropdowns and selects, toggle buttons, radio buttons, text
        boxes and checkboxes. Cells with other buttons (a "Train" button, say) are left alone:
        their controls only set up the next press. `interact_manual`'s button is pressed.
        """
        results = []
        cells = self.page.locator(f"{PANEL} .jp-CodeCell")
        for i in range(cells.count()):
            out = cells.nth(i).locator(".jp-Cell-outputArea")
            manual = out.locator("button.widget-button", has_text="Run Interact")
            if out.locator("button.widget-button").count() > manual.count():
                continue
            for kind, selector, move in self._CONTROLS:
                found = out.locator(selector)
                if found.count():
                    before = self.stable_snapshot()
                    moved, detail = move(self, found.first)
                    if manual.count():
                        manual.first.click()
                    changed = moved and self._wait_for_change(before, timeout_s)
                    results.append(Interaction(i, kind, changed, detail))
                    break
        return results

    def drive_every_control(self, settle_s: float = 10.0) -> tuple[list[str], list[str]]:
        """Every control of every widget through its values: each option of a dropdown or a
        toggle group, each end of a slider (Home, End) and its middle, each radio choice,
        a checkbox both ways, a text box edited (a word it already had, repeated). After each
        move, once the outputs settle, a problem is any error output, a figure printed as text
        (``<Figure size ... with 0 Axes>``, a figure that was never drawn) or a widget output
        with no picture where it had one. Returns the problems, each naming the control and
        the value, and the moves made."""
        problems, moves = [], []
        cells = self.page.locator(f"{PANEL} .jp-CodeCell")

        def look(where):
            moves.append(where)
            self.stable_snapshot(settle_s)
            for text in self.error_outputs():
                problems.append(f"{where}: error output {text[:300]!r}")
            empty = self.page.locator(f"{PANEL} .jp-OutputArea-output",
                                      has_text=re.compile(r"<Figure size .* with 0 Axes>"))
            if empty.count():
                problems.append(f"{where}: {empty.count()} figure(s) shown as text, not drawn")
            return problems

        for i in range(cells.count()):
            out = cells.nth(i).locator(".jp-Cell-outputArea")
            if out.locator("button.widget-button").count():
                continue  # a button starts work (training): its controls set up the next press
            pictures = out.locator("img").count()
            for j in range(out.locator(".widget-dropdown select, .widget-select select").count()):
                select = out.locator(".widget-dropdown select, .widget-select select").nth(j)
                for k, option in enumerate(select.locator("option").all_inner_texts()):
                    select.select_option(index=k)
                    look(f"cell {i} dropdown {j} = {option!r}")
            for j in range(out.locator(".widget-toggle-buttons").count()):
                buttons = out.locator(".widget-toggle-buttons").nth(j).locator("button")
                for k in range(buttons.count()):
                    buttons.nth(k).click()
                    look(f"cell {i} toggle {j} = {buttons.nth(k).inner_text()!r}")
            for j in range(out.locator(".widget-radio-box").count()):
                radios = out.locator(".widget-radio-box").nth(j).locator("input[type=radio]")
                for k in range(radios.count()):
                    radios.nth(k).check()
                    look(f"cell {i} radio {j} = choice {k}")
            for j in range(out.locator(".widget-checkbox input[type=checkbox]").count()):
                box = out.locator(".widget-checkbox input[type=checkbox]").nth(j)
                for _ in range(2):
                    box.click()
                    look(f"cell {i} checkbox {j} = {box.is_checked()}")
            for j in range(out.locator(".widget-slider .noUi-handle").count()):
                handle = out.locator(".widget-slider .noUi-handle").nth(j)
                if handle.get_attribute("aria-disabled") == "true" or \
                        "disabled" in (handle.evaluate("h => h.closest('.widget-slider')"
                                                       ".className") or ""):
                    continue
                handle.scroll_into_view_if_needed()
                for key in ("Home", "End", "PageDown"):
                    handle.press(key)
                    look(f"cell {i} slider {j} {key} -> {self._slider_value(handle)}")
            if pictures and not out.locator("img").count():
                problems.append(f"cell {i}: its picture is gone after the controls moved")
            # last: free text may be what a widget answers with words instead of a picture
            texts = out.locator(".widget-text input[type=text], .widget-textarea textarea")
            for j in range(texts.count()):
                _, detail = self._edit_text(texts.nth(j))
                look(f"cell {i} text {j}: {detail}")
        return problems, moves

    # Each move returns (whether the control took a new value, what was done).

    @staticmethod
    def _slider_value(handle) -> str:
        """The slider's readout (aria-valuenow is rounded to one decimal), else aria."""
        readout = handle.locator(
            "xpath=ancestor::*[contains(@class, 'widget-slider')][1]"
            "//*[contains(@class, 'widget-readout')]"
        )
        if readout.count():
            return (readout.first.text_content() or "").strip()
        return handle.get_attribute("aria-valuenow")

    def _move_slider(self, handle) -> tuple[bool, str]:
        """Arrow key on the focused handle; if the key does not move it, drag it a little."""
        value = self._slider_value(handle)
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        key = "ArrowLeft" if at_max else "ArrowRight"
        handle.scroll_into_view_if_needed()
        handle.press(key)
        if self._slider_moved(handle, value):
            return True, f"{key}: {value} -> {self._slider_value(handle)}"
        track = handle.locator("xpath=ancestor::*[contains(@class, 'noUi-target')][1]")
        box, width = handle.bounding_box(), track.bounding_box()["width"]
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        dx = -0.15 * width if at_max else 0.15 * width
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + dx, y, steps=5)
        self.page.mouse.up()
        moved = self._slider_moved(handle, value)
        return moved, f"{key} then drag: {value} -> {self._slider_value(handle)}"

    def _slider_moved(self, handle, value, timeout_s: float = 2.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._slider_value(handle) != value:
                return True
            self.page.wait_for_timeout(100)
        return False

    def _pick_option(self, select) -> tuple[bool, str]:
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.selectedIndex")
        if len(options) < 2:
            return False, f"only {len(options)} option(s)"
        target = (current + 1) % len(options)
        select.select_option(index=target)
        return True, f"{options[current]!r} -> {options[target]!r}"

    def _click_other_toggle(self, group) -> tuple[bool, str]:
        buttons = group.locator("button")
        for j in range(buttons.count()):
            if "mod-active" not in (buttons.nth(j).get_attribute("class") or ""):
                buttons.nth(j).click()
                return True, f"-> {buttons.nth(j).inner_text()!r}"
        return False, "no other choice"

    def _click_other_radio(self, group) -> tuple[bool, str]:
        radios = group.locator("input[type=radio]")
        for j in range(radios.count()):
            if not radios.nth(j).is_checked():
                radios.nth(j).check()
                return True, f"-> choice {j}"
        return False, "no other choice"

    def _edit_text(self, box) -> tuple[bool, str]:
        value = box.input_value()
        words = value.split()
        new = f"{value} {words[-1]}" if words else "a"  # repeat a word the box already knew
        box.fill(new)
        box.press("Enter")
        return True, f"{value!r} -> {new!r}"

    def _toggle_checkbox(self, box) -> tuple[bool, str]:
        box.click()
        return True, f"checked={box.is_checked()}"

    _CONTROLS = (
        ("slider", ".widget-slider .noUi-handle", _move_slider),
        ("dropdown", ".widget-dropdown select, .widget-select select", _pick_option),
        ("toggle buttons", ".widget-toggle-buttons", _click_other_toggle),
        ("radio buttons", ".widget-radio-box", _click_other_radio),
        ("text", ".widget-text input[type=text], .widget-textarea textarea", _edit_text),
        ("checkbox", ".widget-checkbox input[type=checkbox]", _toggle_checkbox),
    )

    # -- evidence

    def screenshot(self, name: str) -> Path:
        """The whole notebook, as a learner scrolling through it sees it, in one PNG.

        The notebook scrolls inside the page, so the page is shot at each scroll position
        of the notebook and the views are stacked (menus on top, status bar at the bottom).
        """
        from PIL import Image

        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        outer = self.page.locator(f"{PANEL} .jp-WindowedPanel-outer")
        box = outer.bounding_box()
        top, view = int(box["y"]), int(box["height"])
        total = min(int(outer.evaluate("e => e.scrollHeight")), 30_000)
        width, height = self.page.viewport_size["width"], self.page.viewport_size["height"]
        sheet = Image.new("RGB", (width, height - view + total), "white")
        outer.evaluate("e => e.scrollTo(0, 0)")
        self.page.evaluate(_PAINTED_JS)
        left = int(box["x"])
        column = {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]}
        first = Image.open(io.BytesIO(self.page.screenshot()))
        sheet.paste(first.crop((0, 0, width, top + view)), (0, 0))  # menus, sidebars, 1st view
        sheet.paste(first.crop((0, top + view, width, height)), (0, top + total))  # status bar
        seam = 16  # the toolbar's shadow falls on each view's top rows: overlap and drop them
        for offset in range(view - seam, total, view - seam):  # then the notebook's column
            scrolled = outer.evaluate("(e, y) => { e.scrollTo(0, y); return e.scrollTop; }", offset)
            self.page.evaluate(_PAINTED_JS)
            shot = Image.open(io.BytesIO(self.page.screenshot(clip=column)))
            sheet.paste(shot.crop((0, seam, shot.width, shot.height)),
                        (left, top + int(scrolled) + seam))
            if scrolled + view >= total:
                break
        sheet.save(path)
        outer.evaluate("e => e.scrollTo(0, 0)")
        return path
