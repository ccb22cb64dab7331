"""Real services on 127.0.0.1 for tests/services (a plugin of tests/conftest.py: a second
conftest.py would shadow that one's helpers), each started by the project's own script in scale/
and stopped by its PIDs: an MLflow server on PostgreSQL, a one-node Slurm cluster with
accounting, an SSH server holding a DVC remote. Each fixture skips, naming what to install, where
its packages are missing (.ci/run installs them all); they are session-wide, started once."""

import glob
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCALE = ROOT / "scale"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, state: Path):
        self.state = state
        self.env = {**os.environ, "PG_PORT": str(_free_port()), "MLFLOW_PORT": str(_free_port()),
                    "MLFLOW": str(Path(os.sys.executable).with_name("mlflow"))}
        self.uri = f"http://127.0.0.1:{self.env['MLFLOW_PORT']}"

    def _run(self, *action: str) -> None:
        proc = subprocess.run(["bash", str(SCALE / "mlflow-server.sh"), action[0],
                               str(self.state), *action[1:]],
                              env=self.env, capture_output=True, text=True, timeout=240)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def up(self) -> None:
        self._run("up")

    def down(self) -> None:
        self._run("down")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        pytest.skip("no PostgreSQL server (apt install postgresql; .ci/run installs it)")
    pytest.importorskip("psycopg2", reason="psycopg2-binary is in requirements/lock.txt")
    srv = Server(tmp_path_factory.mktemp("mlflow-server"))
    srv.up()
    yield srv
    srv._run("down", "--purge")


def _script(name: str, action: str, state: Path, env=None, timeout=240) -> str:
    proc = subprocess.run(["bash", str(SCALE / name), action, str(state)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"scale/{name} {action}: {proc.stdout}{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="session")
def slurm(tmp_path_factory):
    """A one-node Slurm cluster (scale/slurm.sh): partition debug, account zhpipe."""
    if os.geteuid() != 0:
        pytest.skip("Slurm's daemons need root (scale/slurm.sh)")
    missing = [exe for exe in ("slurmctld", "slurmd", "slurmdbd", "munged", "mariadbd")
               if not os.access(f"/usr/sbin/{exe}", os.X_OK)]
    if missing:
        pytest.skip(f"no {', '.join(missing)}: apt install slurm-wlm munge slurmdbd "
                    f"mariadb-server (.ci/run installs them)")
    if subprocess.run(["pgrep", "-x", "slurmctld"], capture_output=True).returncode == 0:
        pytest.skip("a Slurm controller already runs on this machine: not starting a second")
    state = tmp_path_factory.mktemp("slurm")
    _script("slurm.sh", "up", state)
    yield state
    _script("slurm.sh", "down", state)


@pytest.fixture(scope="session")
def ssh_remote(tmp_path_factory):
    """sshd on 127.0.0.1 (scale/ssh-remote.sh): (url of a DVC remote folder, client key)."""
    if not os.access("/usr/sbin/sshd", os.X_OK) or not shutil.which("ssh-keygen"):
        pytest.skip("no sshd: apt install openssh-server (.ci/run installs it)")
    pytest.importorskip("dvc_ssh", reason="dvc[ssh] is in requirements/lock.txt")
    state = tmp_path_factory.mktemp("ssh")
    port = _free_port()
    _script("ssh-remote.sh", "up", state, env={**os.environ, "SSH_PORT": str(port)})
    yield f"ssh://127.0.0.1:{port}{state}/store", state / "client_ed25519"
    _script("ssh-remote.sh", "down", state)
