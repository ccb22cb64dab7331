"""File checksums: sha256, and git's blob id for files whose only published checksum is one."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sri_sha512(path: str | os.PathLike) -> str:
    """The Subresource Integrity value npm publishes for a tarball: ``sha512-<base64 digest>``."""
    h = hashlib.sha512()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return "sha512-" + base64.b64encode(h.digest()).decode("ascii")


def git_blob_sha1(path: str | os.PathLike) -> str:
    """The id ``git hash-object`` prints: sha1 over ``b"blob <size>\\0"`` and the content."""
    size = Path(path).stat().st_size
    h = hashlib.sha1(f"blob {size}\0".encode())
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def digest_of_digests(sha256s) -> str:
    """sha256 of the sorted hex digests, one a line: the checksum of a set of files, whatever
    their names or the archive that carries them (``sha256sum`` output, first column, sorted)."""
    return hashlib.sha256("".join(f"{d}\n" for d in sorted(sha256s)).encode()).hexdigest()


class ChecksumMismatch(ValueError):
    pass


def verify(path: str | os.PathLike, sha256: str | None = None, git_sha1: str | None = None) -> dict:
    """Check ``path`` against the expected checksums; return what was computed.

    Raises ChecksumMismatch naming the file, the expected and the actual value. With neither
    checksum given the file is accepted and its sha256 returned (trust on first use).
    """
    got = {"sha256": sha256_file(path), "bytes": Path(path).stat().st_size}
    if sha256 is not None and got["sha256"] != sha256:
        raise ChecksumMismatch(f"{path}: sha256 is {got['sha256']}, expected {sha256}")
    if git_sha1 is not None:
        got["git_sha1"] = git_blob_sha1(path)
        if got["git_sha1"] != git_sha1:
            raise ChecksumMismatch(f"{path}: git blob id is {got['git_sha1']}, expected {git_sha1}")
    got["verified"] = "sha256" if sha256 else ("git_sha1" if git_sha1 else "unverified")
    return got
