"""Fetching files over HTTP(S) and from the Python package index.

``http_get`` streams into ``<target>.part``, resumes a partial file with a Range request, retries
with exponential backoff on connection errors, timeouts, truncated bodies and 5xx answers, shows a
progress bar, verifies the sha256 when one is known and only then renames into place.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from zhpipe.corpus.checksum import ChecksumMismatch, sha256_file, sri_sha512
from zhpipe.progress import Progress

log = logging.getLogger(__name__)
_CHUNK = 1 << 16


class FetchError(RuntimeError):
    """A source could not be fetched; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


def _one_attempt(url: str, part: Path, timeout: float, progress: bool) -> None:
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "zhpipe (+https://github.com/zhpipe)", "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        resp = requests.get(url, headers=headers, stream=True, timeout=timeout)
    except requests.RequestException as exc:
        raise FetchError(f"cannot reach {url}: {exc}", retryable=True) from exc
    with resp:
        if resp.status_code == 416 and have:
            # The partial file is already complete (or longer than the resource): start over.
            part.unlink()
            raise FetchError(f"{url}: server refused the resume range", retryable=True)
        if resp.status_code >= 500 or resp.status_code == 429:
            raise FetchError(f"{url}: HTTP {resp.status_code}", retryable=True, status=resp.status_code)
        if resp.status_code >= 400:
            raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason}", status=resp.status_code)
        if resp.status_code == 206:
            mode = "ab"
        else:
            mode, have = "wb", 0
        length = resp.headers.get("Content-Length")
        expected = have + int(length) if length is not None else None
        got = have
        # a bar on a terminal; otherwise a log line every 30 s (zhpipe.progress)
        bar = Progress(expected, Path(url).name[:40], "B", initial=have, tty=progress)
        try:
            with open(part, mode) as fh:
                for chunk in resp.iter_content(_CHUNK):
                    fh.write(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
        except requests.RequestException as exc:
            raise FetchError(f"{url}: transfer broke off after {got} bytes: {exc}",
                             retryable=True) from exc
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise FetchError(f"disk full while writing {part}: free some space and run again "
                                 "(the partial download is kept and will be resumed)") from exc
            raise
        finally:
            bar.close()
        if expected is not None and got < expected:
            raise FetchError(f"{url}: truncated transfer ({got} of {expected} bytes)", retryable=True)


def http_get(url: str, target: str | os.PathLike, *, sha256: str | None = None, retries: int = 4,
             timeout: float = 60.0, backoff: float = 1.0, progress: bool | None = None) -> Path:
    """Download ``url`` to ``target`` atomically, resuming ``target.part`` if present.

    Raises FetchError (404, no network, retries exhausted) or ChecksumMismatch. On a checksum
    mismatch the partial file is removed, so the next run starts from scratch.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    if progress is None:
        progress = sys.stderr.isatty()
    attempt = 0
    restarted = False
    while True:
        try:
            _one_attempt(url, part, timeout, progress)
        except FetchError as exc:
            if not exc.retryable or attempt >= retries:
                if attempt >= retries and exc.retryable:
                    raise FetchError(f"{exc} (gave up after {attempt + 1} attempts)",
                                     status=exc.status) from exc
                raise
            delay = backoff * (2**attempt)
            log.warning("%s; retrying in %.1f s", exc, delay)
            time.sleep(delay)
            attempt += 1
            continue
        if sha256 is not None:
            got = sha256_file(part)
            if got != sha256:
                part.unlink()
                if not restarted:
                    # A stale or corrupt partial file can poison a resume: one clean retry.
                    restarted = True
                    log.warning("%s: checksum mismatch after download; retrying from scratch", url)
                    continue
                raise ChecksumMismatch(f"{url}: sha256 is {got}, expected {sha256}")
        os.replace(part, target)
        return target


def pip_sdist(requirement: str, sha256: str | None, dest_dir: str | os.PathLike,
              pip_args: list[str] | None = None) -> Path:
    """Fetch the source distribution ``name==version`` with pip into ``dest_dir``.

    pip is used so that the user's pip configuration (index, mirrors, proxies) applies. With a
    sha256 the requirement is pinned by hash, so pip verifies the archive before doing anything
    with it. Nothing from the archive is imported or run by zhpipe.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    name, version = requirement.split("==")
    with tempfile.TemporaryDirectory(prefix="zhpipe-pip-") as tmp:
        req = Path(tmp) / "requirement.txt"
        req.write_text(requirement + (f" --hash=sha256:{sha256}" if sha256 else "") + "\n")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "-d", tmp, "-r", str(req), *(pip_args or [])]
        if sha256:
            cmd.append("--require-hashes")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
            retry = "hash" not in proc.stderr.lower()
            raise FetchError(f"pip download {requirement} failed:\n{tail}", retryable=retry)
        found = [p for p in Path(tmp).iterdir()
                 if p.name.lower().startswith(f"{name.lower().replace('-', '_')}-{version}")
                 or p.name.lower().startswith(f"{name.lower()}-{version}")]
        found = [p for p in found if p.name.endswith((".tar.gz", ".zip"))]
        if not found:
            raise FetchError(f"pip download {requirement}: no source archive was saved")
        target = dest_dir / found[0].name
        part = target.with_name(target.name + ".part")
        shutil.copyfile(found[0], part)  # the temporary folder may be on another file system
        os.replace(part, target)
        return target


def npm_pack(spec: str, integrity: str, dest_dir: str | os.PathLike,
             npm_args: list[str] | None = None) -> Path:
    """Fetch the package tarball ``name@version`` with ``npm pack`` into ``dest_dir``.

    npm is used so that the user's npm configuration (registry, proxy, cache) applies. The
    tarball is checked against ``integrity`` (the registry's sha512 value, pinned in the
    catalogue) before it is kept; nothing in it is run (``--ignore-scripts``).
    """
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(f"npm pack {spec}: npm is not installed (it comes with Node.js: e.g. "
                         "`apt install npm`)", retryable=False)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zhpipe-npm-") as tmp:
        cmd = [npm, "pack", spec, "--pack-destination", tmp, "--ignore-scripts", "--silent",
               *(npm_args or [])]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            retry = not any(w in proc.stderr for w in ("E404", "ETARGET", "EINTEGRITY"))
            raise FetchError(f"npm pack {spec} failed:\n{tail}", retryable=retry)
        found = sorted(Path(tmp).glob("*.tgz"))
        if not found:
            raise FetchError(f"npm pack {spec}: no tarball was saved", retryable=False)
        got = sri_sha512(found[0])
        if got != integrity:
            raise ChecksumMismatch(f"npm pack {spec}: integrity is {got}, expected {integrity}")
        target = dest_dir / found[0].name
        part = target.with_name(target.name + ".part")
        shutil.copyfile(found[0], part)
        os.replace(part, target)
        return target
