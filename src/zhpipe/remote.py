"""``zhpipe remote check|push|pull``: DVC's push and pull, with a connection check first that
names the remote when it refuses the credentials or cannot be reached.

``dvc push`` against an SSH remote with the wrong key says ``failed to connect to ssh
(/srv/store/files/md5) - Permission denied for user alice on host build-host`` and, for ``dvc
pull``, ``1 files failed to download``: the remote's name and where its credentials belong are
left to guess. Here the remote is opened first (DVC's own file system for it, so every kind DVC
knows works: SSH, S3, WebDAV, a folder, ...), and a refusal becomes one message with the remote's
name, its URL, and the commands that set its credentials in ``.dvc/config.local`` (never in the
committed ``.dvc/config``). Push and pull then run DVC itself and report the files, bytes and
seconds moved. A pull then records the pulled files for Snakemake (``snakemake --touch`` on the
outputs of the stages ``dvc status`` finds up to date, with every stage upstream of them), so
that a fresh clone's ``snakemake -n`` has nothing to do with no step of the user's.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import time
from pathlib import Path

from zhpipe.errors import UserError

#: Where each kind of remote takes its secret (``dvc remote modify --local NAME KEY VALUE``).
CREDENTIALS = {
    "ssh": "keyfile ~/.ssh/id_ed25519 (or password SECRET); the login is `user` in .dvc/config",
    "s3": "access_key_id KEY and secret_access_key SECRET (or AWS_ACCESS_KEY_ID and "
          "AWS_SECRET_ACCESS_KEY in the environment)",
    "webdav": "password SECRET; the login is `user` in .dvc/config",
    "webdavs": "password SECRET; the login is `user` in .dvc/config",
    "http": "password SECRET (with auth basic); the login is `user` in .dvc/config",
    "https": "password SECRET (with auth basic); the login is `user` in .dvc/config",
}


class RemoteError(UserError):
    """The DVC remote is missing, refuses the credentials or cannot be reached."""


def _scheme(url: str) -> str:
    return url.split("://", 1)[0] if "://" in url else "local"


def remote_name(root: Path, name: str | None = None) -> tuple[str, str]:
    """The remote to use (``name``, or the project's default) and its URL."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        remotes = dict(repo.config.get("remote", {}))
        chosen = name or repo.config.get("core", {}).get("remote")
    if not remotes:
        raise RemoteError(f"{root}: no DVC remote is configured. Add one, e.g. `dvc remote add -d "
                          f"team ssh://HOST/PATH` (README 'Sharing trained models').")
    if not chosen:
        raise RemoteError(f"{root}: no default DVC remote; name one with --remote "
                          f"({', '.join(sorted(remotes))}) or `dvc remote default NAME`.")
    if chosen not in remotes:
        raise RemoteError(f"{root}: there is no DVC remote {chosen!r} (configured: "
                          f"{', '.join(sorted(remotes))}).")
    return chosen, remotes[chosen]["url"]


def check(root: Path, name: str | None = None) -> tuple[str, str]:
    """Open the remote with DVC's own file system and look at its folder; raise a
    :class:`RemoteError` naming the remote if it refuses the credentials or cannot be reached."""
    from dvc.repo import Repo

    name, url = remote_name(root, name)
    how = CREDENTIALS.get(_scheme(url))
    try:
        with Repo(str(root)) as repo:
            remote = repo.cloud.get_remote(name)
            remote.fs.exists(remote.path)
    except PermissionError as exc:
        fix = (f" Set its credentials in .dvc/config.local (not committed) with `dvc remote "
               f"modify --local {name} KEY VALUE`: {how}." if how else "")
        raise RemoteError(f"DVC remote {name!r} ({url}) refused the credentials: {exc}.{fix}"
                          ) from None
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001  (DVC, asyncssh, botocore ... each raise their own)
        raise RemoteError(f"DVC remote {name!r} ({url}) cannot be reached: "
                          f"{type(exc).__name__}: {exc}") from None
    return name, url


def _cache_bytes(root: Path) -> tuple[int, int]:
    files = [p for p in (root / ".dvc" / "cache").rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def transfer(root: Path, action: str, name: str | None = None, targets=()) -> dict:
    """``dvc push`` or ``dvc pull`` to/from the checked remote; what moved and how long it took."""
    name, url = check(root, name)
    # a pull of everything: what dvc.lock records (a run with a target such as `snakemake
    # data/seg` built only some stages; without --allow-missing the pull fails on the others)
    extra = ["--allow-missing"] if action == "pull" and not targets else []
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "dvc", action, "--remote", name, *extra,
                           *targets],
                          cwd=root, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RemoteError(f"dvc {action} with remote {name!r} ({url}) failed:\n"
                          f"{(proc.stdout + proc.stderr).strip()[-2000:]}")
    files, size = _cache_bytes(root)
    return {"remote": name, "url": url, "action": action, "seconds": round(seconds, 1),
            "cache_files": files, "cache_bytes": size, "dvc": proc.stdout.strip().splitlines()[-1:]}


def cmd_remote(args) -> int:
    root = Path.cwd()
    if args.action == "check":
        name, url = check(root, args.remote)
        print(f"DVC remote {name!r} ({url}): reachable, credentials accepted")
        return 0
    info = transfer(root, args.action, args.remote, args.targets)
    moved = ("cache now" if args.action == "pull" else "cache")
    print(f"dvc {args.action} {info['remote']} ({info['url']}): {' '.join(info['dvc'])} "
          f"in {info['seconds']} s; {moved} {info['cache_files']} files, "
          f"{info['cache_bytes'] / 1e6:.1f} MB")
    if args.action == "pull" and not args.no_touch:
        print(record_for_snakemake(root))
    return 0


def record_for_snakemake(root: Path) -> str:
    """After a pull: tell Snakemake the pulled files are up to date (``snakemake --touch``) for
    every stage that DVC finds up to date with all the stages it reads from, so that nothing out
    of date is ever marked done. Pulled files get fresh times in no order, and a clone has no
    Snakemake metadata: without this, ``snakemake`` would rebuild them."""
    if not (root / "Snakefile").exists():
        return "no Snakefile here: nothing to record for Snakemake"
    from zhpipe.dag import load_stages

    status = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], cwd=root,
                            capture_output=True, text=True)
    if status.returncode != 0:
        return f"dvc status failed, nothing recorded for Snakemake: {status.stderr[-500:]}"
    changed = set(json.loads(status.stdout or "{}"))
    stages = load_stages(root)
    producer = {o: st.name for st in stages for o in st.outs}
    upstream = {st.name: {producer[d] for d in st.deps if d in producer} for st in stages}

    @functools.cache
    def clean(name: str) -> bool:  # the DAG is acyclic (DVC refuses cycles)
        return name not in changed and all(clean(u) for u in upstream[name])

    outs = [o for st in stages if clean(st.name) for o in st.outs if (root / o).exists()]
    if not outs:
        return "no stage is up to date for DVC: nothing recorded for Snakemake"
    snakemake = Path(sys.executable).with_name("snakemake")
    # the targets first: --quiet takes values and would swallow them
    touch = subprocess.run([str(snakemake), *outs, "--touch", "--cores", "1", "--quiet"],
                           cwd=root, capture_output=True, text=True)
    if touch.returncode != 0:
        raise RemoteError(f"snakemake --touch failed after the pull:\n{touch.stderr[-2000:]}")
    left = f"; {len(changed)} stage(s) still to run" if changed else ""
    return (f"recorded for Snakemake (snakemake --touch): {len(outs)} outputs up to "
            f"date{left}")


def add_parser(sub) -> None:
    r = sub.add_parser("remote", help="DVC remote: check the credentials, push or pull")
    r.add_argument("action", choices=["check", "push", "pull"])
    r.add_argument("targets", nargs="*", help="stages or files (default: everything)")
    r.add_argument("--remote", "-r", help="remote name (default: the project's default remote)")
    r.add_argument("--no-touch", action="store_true", help="pull: do not record the pulled "
                   "files for Snakemake (by default `snakemake --touch` marks the outputs of "
                   "every stage DVC finds up to date)")
    r.set_defaults(func=cmd_remote)
