"""JupyterHub for a one-machine lab; `python hub/lab.py start` (make hub) starts it with the
RNNLESSON_* variables below set. See docs/instructor.md, "A lab on one machine".

Learners are system users of the same name, each logging in with the instructor's shared
password (the Littlest JupyterHub's model); each learner's server runs as that user from the
course's own .venv, opens JupyterLab, and finds nbgrader's exchange in its config.
"""

import os

env = os.environ
c = get_config()  # noqa: F821 - JupyterHub's config loader provides it
venv_bin = env["RNNLESSON_VENV_BIN"]
private = env["RNNLESSON_HUB_PRIVATE"]

# Where it listens: the proxy (learners' browsers), the hub's API, the proxy's API.
c.JupyterHub.ip = env.get("RNNLESSON_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(env.get("RNNLESSON_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env.get("RNNLESSON_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env.get('RNNLESSON_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [env["RNNLESSON_PROXY"]]
c.ConfigurableHTTPProxy.pid_file = os.path.join(private, "proxy.pid")

# The hub's own files, private to the instructor.
c.JupyterHub.db_url = f"sqlite:///{os.path.join(private, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(private, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(private, "jupyterhub.pid")
# Stopping the hub stops every learner's server and the proxy it started.
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Who may log in: the learners in the instructor's list, with the shared password.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = env["RNNLESSON_HUB_PASSWORD"]
c.Authenticator.allowed_users = set(env["RNNLESSON_HUB_LEARNERS"].split())

# Each learner's server: a process run as the learner's system user, from the course's venv.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(venv_bin, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.environment = {
    # The kernel spec says `python`: the venv's, so `import rnnlesson` works.
    "PATH": os.pathsep.join([venv_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
    # nbgrader_config.py with the course id and the exchange.
    "JUPYTER_CONFIG_PATH": env["RNNLESSON_LEARNER_CONFIG"],
    # One BLAS thread per kernel: a room of kernels shares the cores.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}
# The course's no-pop-up settings (make's QUIET_LAB turns off the news in the venv).
c.Spawner.args = [
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]
