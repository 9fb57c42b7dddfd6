"""The one-machine lab hub: learner accounts, the hub's process, and the instructor's hand-in.

    python hub/lab.py start [--learners FILE] [--ip 127.0.0.1] [--port 8000] [--state DIR]
    python hub/lab.py stop [--state DIR]
    python hub/lab.py release ex03-rnn-cell-forward
    python hub/lab.py collect ex03-rnn-cell-forward
    python hub/lab.py grade ex03-rnn-cell-forward
    python hub/lab.py return-feedback ex03-rnn-cell-forward

Each learner named in the list is a system user of the same name (created here, marked
"rnnlesson learner" so no other account is ever touched) and logs in with the one password the
instructor sets. Run as root: the hub starts each learner's server as that learner.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HUB_DIR = Path(__file__).resolve().parent
REPO = HUB_DIR.parent
# The learners' servers run from hub/venv (make hub builds it from a Python they may run).
VENV_BIN = Path(os.environ.get("RNNLESSON_HUB_VENV", HUB_DIR / "venv")) / "bin"
PROXY = HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE_ID = "rnnlesson"
LEARNER_MARK = "rnnlesson learner"
# A user name the system and the hub both accept: lowercase, starting with a letter.
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")


@dataclass(frozen=True)
class Lab:
    """Where one hub keeps its state, and where it listens."""

    state: Path
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    homes: Path = Path("/home")

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    @property
    def exchange(self) -> Path:
        return self.state / "exchange"

    @property
    def private(self) -> Path:
        """The hub's database, secrets, logs and the course: the instructor's alone (0700)."""
        return self.state / "private"

    @property
    def course(self) -> Path:
        """The instructor's nbgrader course folder."""
        return self.private / "course"

    @property
    def learner_config(self) -> Path:
        """Jupyter config every learner's server reads (the course and the exchange)."""
        return self.state / "learner-config"

    @property
    def password_file(self) -> Path:
        return self.private / "password"

    @property
    def pid_file(self) -> Path:
        return self.private / "jupyterhub.pid"

    @property
    def log_file(self) -> Path:
        return self.private / "jupyterhub.log"


# --------------------------------------------------------------------------- learners


def read_learners(path: Path) -> list[str]:
    """The user names in a plain list: one a line; blank lines and `#` comments are skipped."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"learners: expected a file with one user name a line, got {str(path)!r}"
                         " (no such file; copy hub/learners.example.txt and edit it)")
    names: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if not NAME.match(name):
            raise ValueError(
                f"learners: {path}, line {number}: expected a user name of lowercase letters, "
                f"digits, '-' or '_', starting with a letter (at most 31), got {name!r}")
        if name in names:
            raise ValueError(f"learners: {path}, line {number}: {name!r} is listed twice")
        names.append(name)
    if not names:
        raise ValueError(f"learners: expected at least one user name in {path}, got none")
    return names


def _account(name: str):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def ensure_learner_accounts(names: list[str], homes: Path = Path("/home")) -> None:
    """Create a system user per learner (home under `homes`); refuse to take over any other."""
    for name in names:
        entry = _account(name)
        if entry is not None:
            if entry.pw_gecos != LEARNER_MARK:
                raise ValueError(
                    f"learners: {name!r} is already a system account that this lab did not "
                    f"create (comment {entry.pw_gecos!r}); rename the learner in the list")
            continue
        subprocess.run(
            ["useradd", "--create-home", "--home-dir", str(Path(homes) / name),
             "--comment", LEARNER_MARK, "--shell", "/bin/bash", "--user-group", name],
            check=True, capture_output=True, text=True)


def remove_learner_accounts(names: list[str]) -> None:
    """Delete the accounts (and homes) of learners this lab created; others are left alone."""
    for name in names:
        entry = _account(name)
        if entry is not None and entry.pw_gecos == LEARNER_MARK:
            subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)


# --------------------------------------------------------------------------- the hub


def _write_configs(lab: Lab) -> None:
    """nbgrader's settings: the learners' (course and exchange) and the instructor's course."""
    lab.learner_config.mkdir(parents=True, exist_ok=True)
    exchange = f"c.Exchange.root = {str(lab.exchange)!r}\n"
    (lab.learner_config / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n" + exchange)
    lab.private.mkdir(parents=True, exist_ok=True)
    lab.private.chmod(0o700)
    lab.course.mkdir(parents=True, exist_ok=True)
    (lab.course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.root = {str(lab.course)!r}\n" + exchange)
    # The learners reach the exchange and their config through it, nothing else.
    for folder in (lab.state, lab.learner_config):
        folder.chmod(0o755)
    lab.exchange.mkdir(exist_ok=True)
    lab.exchange.chmod(0o777 | 0o1000)  # nbgrader's exchange: everyone writes, sticky


def shared_password(lab: Lab) -> str:
    """The instructor's password: $RNNLESSON_HUB_PASSWORD, else the state's, else a new one."""
    given = os.environ.get("RNNLESSON_HUB_PASSWORD")
    if given:
        if len(given) < 8:
            raise ValueError("RNNLESSON_HUB_PASSWORD: expected at least 8 characters, "
                             f"got {len(given)}")
        return given
    if lab.password_file.is_file():
        return lab.password_file.read_text().strip()
    password = "-".join(secrets.token_hex(2) for _ in range(3))
    lab.password_file.write_text(password + "\n")
    lab.password_file.chmod(0o600)
    return password


def hub_environment(lab: Lab, learners: list[str], password: str) -> dict[str, str]:
    """What jupyterhub_config.py reads: it is started with these in its environment."""
    env = dict(os.environ)
    env.update(
        RNNLESSON_HUB_IP=lab.ip, RNNLESSON_HUB_PORT=str(lab.port),
        RNNLESSON_HUB_API_PORT=str(lab.hub_port), RNNLESSON_PROXY_API_PORT=str(lab.proxy_api_port),
        RNNLESSON_HUB_PRIVATE=str(lab.private), RNNLESSON_HUB_LEARNERS=" ".join(learners),
        RNNLESSON_HUB_PASSWORD=password, RNNLESSON_LEARNER_CONFIG=str(lab.learner_config),
        RNNLESSON_VENV_BIN=str(VENV_BIN), RNNLESSON_PROXY=str(PROXY),
    )
    return env


def start(lab: Lab, learners_file: Path, timeout: float = 60.0) -> int:
    """Create the accounts, start JupyterHub in the background; return its process id."""
    if os.geteuid() != 0:
        raise PermissionError("the lab hub creates system users and starts servers as them: "
                              "run it as root")
    for tool, hint in ((VENV_BIN / "jupyterhub", "make hub builds hub/venv with the hub extra"),
                       (PROXY, "make hub installs it with npm into hub/node_modules")):
        if not tool.exists():
            raise FileNotFoundError(f"{tool} is missing: {hint}")
    if running_pid(lab) is not None:
        raise RuntimeError(f"a hub is already running (pid {running_pid(lab)}); "
                           "stop it first (make hub-stop)")
    _check_reachable(REPO)
    learners = read_learners(learners_file)
    lab.state.mkdir(parents=True, exist_ok=True)
    ensure_learner_accounts(learners, lab.homes)
    _write_configs(lab)
    (lab.private / "learners").write_text("\n".join(learners) + "\n")
    password = shared_password(lab)
    with open(lab.log_file, "ab") as log:
        proc = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(HUB_DIR / "jupyterhub_config.py")],
            cwd=lab.private, env=hub_environment(lab, learners, password),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    lab.pid_file.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            lab.pid_file.unlink(missing_ok=True)
            raise RuntimeError(f"JupyterHub exited with {proc.returncode}; see {lab.log_file}:\n"
                               + _tail(lab.log_file))
        try:
            with urllib.request.urlopen(f"{lab.url}/hub/api/", timeout=2) as resp:
                if resp.status == 200:
                    return proc.pid
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    stop(lab)
    raise RuntimeError(f"JupyterHub did not answer at {lab.url} within {timeout:.0f} s:\n"
                       + _tail(lab.log_file))


def _check_reachable(folder: Path) -> None:
    """The learners run hub/venv and import the course from here: every folder must let them."""
    for part in [folder, *folder.parents]:
        if not part.stat().st_mode & 0o001:
            raise PermissionError(
                f"{part} is closed to other users (mode {part.stat().st_mode & 0o777:o}), so "
                f"the learners cannot reach the course in {folder}: clone it somewhere they "
                f"can (e.g. /srv or /opt) or allow them with chmod o+x {part}")


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def running_pid(lab: Lab) -> int | None:
    """The pid in the state's pid file, if that process is alive and is JupyterHub."""
    try:
        pid = int(lab.pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"jupyterhub" in cmdline else None


def stop(lab: Lab, timeout: float = 30.0) -> bool:
    """Stop the hub by its pid (it stops the learners' servers and its proxy); True if it ran.

    Then wait for the learners' processes (servers, kernels) to end, and kill by pid any
    still there after `timeout`: nothing of the lab is left running.
    """
    pid = running_pid(lab)
    lab.pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.1)
    deadline = time.monotonic() + timeout
    while (left := learner_processes(lab)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for stray in left:
        try:
            os.kill(stray, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return True


def learner_processes(lab: Lab) -> list[int]:
    """Pids of processes run by this lab's learners (from the list the hub started with)."""
    try:
        names = (lab.private / "learners").read_text().split()
    except OSError:
        return []
    uids = {str(entry.pw_uid) for entry in map(_account, names) if entry is not None}
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                status = (proc / "status").read_text()
            except OSError:
                continue
            uid = next(ln for ln in status.splitlines() if ln.startswith("Uid:")).split()[1]
            if uid in uids and "\nState:\tZ" not in status:
                found.append(int(proc.name))
    return found


def _alive(pid: int) -> bool:
    """Whether the process still runs (a child of ours that has exited is reaped here)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: look at /proc
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


# --------------------------------------------------------------------------- hand-in


def nbgrader(lab: Lab, *args: str) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the instructor's course folder; fail with its output."""
    done = subprocess.run([str(VENV_BIN / "nbgrader"), *args], cwd=lab.course,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout}{done.stderr}")
    return done


def _check_exercise(stem: str) -> Path:
    notebook = REPO / "exercises" / f"{stem}.ipynb"
    if not notebook.is_file():
        known = ", ".join(sorted(p.stem for p in (REPO / "exercises").glob("*.ipynb")))
        raise ValueError(f"exercise: expected one of {known}, got {stem!r}")
    return notebook


def release(lab: Lab, stem: str) -> None:
    """Put exercises/<stem>.ipynb in the exchange for every learner to fetch."""
    notebook = _check_exercise(stem)
    _write_configs(lab)
    folder = lab.course / "release" / stem
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook, folder / notebook.name)
    nbgrader(lab, "release_assignment", stem, "--force")


def collect(lab: Lab, stem: str) -> Path:
    """Bring the latest submission of each learner into course/submitted/<learner>/<stem>/."""
    _check_exercise(stem)
    nbgrader(lab, "collect", stem, "--update")
    return lab.course / "submitted"


def grade(lab: Lab, stem: str, out: Path | None = None, jobs: int = 2) -> Path:
    """`rnnlesson grade` on the collected submissions of one exercise; returns its OUT."""
    _check_exercise(stem)
    out = Path(out) if out else lab.private / "grades" / stem
    only = lab.private / "grading" / stem / "solutions"
    only.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "solutions" / f"{stem}.ipynb", only / f"{stem}.ipynb")
    submitted = lab.course / "submitted"
    done = subprocess.run(
        [str(VENV_BIN / "rnnlesson"), "grade", str(submitted), "--out", str(out),
         "--solutions", str(only), "--jobs", str(jobs)],
        cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"rnnlesson grade failed ({done.returncode}):\n"
                           f"{done.stdout}{done.stderr}")
    return out


def return_feedback(lab: Lab, stem: str, out: Path | None = None) -> list[str]:
    """Hand each learner's feedback page back through the exchange; returns the learners.

    nbgrader files a page under a digest of the learner's own submission secret, so each
    learner's `fetch_feedback` finds their page and no one else's.
    """
    _check_exercise(stem)
    out = Path(out) if out else lab.private / "grades" / stem
    returned = []
    for page in sorted((out / "feedback").glob(f"*/{stem}.html")):
        student = page.parent.name
        submitted = lab.course / "submitted" / student / stem
        if not (submitted / "submission_secret.txt").is_file():
            continue  # graded from elsewhere, never submitted through the exchange
        folder = lab.course / "feedback" / student / stem
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(page, folder / f"{stem}.html")
        for name in ("timestamp.txt", "submission_secret.txt"):
            shutil.copy2(submitted / name, folder / name)
        returned.append(student)
    nbgrader(lab, "release_feedback", stem)
    return returned


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hub/lab.py", description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, default=HUB_DIR / "state",
                        help="where the hub keeps its database, logs, course and exchange")
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("start", help="create the learners' accounts and start the hub")
    st.add_argument("--learners", type=Path, default=HUB_DIR / "learners.txt")
    st.add_argument("--ip", default="127.0.0.1")
    st.add_argument("--port", type=int, default=8000)
    st.add_argument("--homes", type=Path, default=Path("/home"))
    sub.add_parser("stop", help="stop the hub by its process id")
    for name in ("release", "collect", "grade", "return-feedback"):
        sub.add_parser(name).add_argument("exercise")
    args = parser.parse_args(argv)
    lab = Lab(state=args.state.resolve(), **(
        {"ip": args.ip, "port": args.port, "homes": args.homes} if args.command == "start"
        else {}))
    try:
        if args.command == "start":
            pid = start(lab, args.learners)
            print(f"JupyterHub is running (pid {pid}) at {lab.url}/ ; learners log in with "
                  f"their name and the password in {lab.password_file} "
                  "(or RNNLESSON_HUB_PASSWORD). Stop it with `make hub-stop`.")
        elif args.command == "stop":
            print("stopped" if stop(lab) else "no hub was running")
        elif args.command == "release":
            release(lab, args.exercise)
        elif args.command == "collect":
            print(collect(lab, args.exercise))
        elif args.command == "grade":
            print(grade(lab, args.exercise) / "grades.csv")
        elif args.command == "return-feedback":
            print("returned to: " + ", ".join(return_feedback(lab, args.exercise)))
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"hub/lab.py {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
