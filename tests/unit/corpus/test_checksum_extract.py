import io
import tarfile
import zipfile

import pytest
from conftest import make_tar, make_zip, sha

from zhpipe.corpus.checksum import ChecksumMismatch, git_blob_sha1, sha256_file, verify
from zhpipe.corpus.extract import CorruptArchive, UnsafeArchive, extract_members, list_members


def test_sha256_and_git_blob_of_known_content(tmp_path):
    p = tmp_path / "hello.txt"
    p.write_bytes(b"hello\n")
    assert sha256_file(p) == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    # `git hash-object` of "hello\n"
    assert git_blob_sha1(p) == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_verify_reports_mismatch_and_trust_on_first_use(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"abc")
    assert verify(p, sha(b"abc"))["verified"] == "sha256"
    assert verify(p)["verified"] == "unverified"
    with pytest.raises(ChecksumMismatch, match="expected"):
        verify(p, sha(b"abd"))
    with pytest.raises(ChecksumMismatch, match="git blob"):
        verify(p, git_sha1="0" * 40)


def _evil_tar(path, kind):
    with tarfile.open(path, "w:gz") as tf:
        ok = tarfile.TarInfo("data/ok.txt")
        ok.size = 2
        tf.addfile(ok, io.BytesIO(b"ok"))
        if kind == "dotdot":
            info = tarfile.TarInfo("../evil")
            info.size = 4
            tf.addfile(info, io.BytesIO(b"evil"))
        elif kind == "absolute":
            info = tarfile.TarInfo("/tmp/evil")
            info.size = 4
            tf.addfile(info, io.BytesIO(b"evil"))
        elif kind == "symlink":
            info = tarfile.TarInfo("data/link.txt")
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tf.addfile(info)
        elif kind == "device":
            info = tarfile.TarInfo("data/dev")
            info.type = tarfile.CHRTYPE
            tf.addfile(info)


@pytest.mark.parametrize("kind", ["dotdot", "absolute"])
def test_tar_with_path_traversal_is_refused_whole(tmp_path, kind):
    archive = tmp_path / "evil.tar.gz"
    _evil_tar(archive, kind)
    with pytest.raises(UnsafeArchive, match="absolute path or '..'"):
        extract_members(archive, {"data/ok.txt": tmp_path / "out" / "ok.txt"}, max_bytes=10**6)
    assert not (tmp_path / "out" / "ok.txt").exists()  # refused before anything is written
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize("kind", ["symlink", "device"])
def test_links_and_devices_are_never_extracted(tmp_path, kind):
    archive = tmp_path / "evil.tar.gz"
    _evil_tar(archive, kind)
    member = "data/link.txt" if kind == "symlink" else "data/dev"
    with pytest.raises(UnsafeArchive, match="not a regular file"):
        extract_members(archive, {member: tmp_path / "x"}, max_bytes=10**6)
    assert not (tmp_path / "x").exists()


def test_zip_traversal_and_symlink_refused(tmp_path):
    evil = tmp_path / "evil.zip"
    evil.write_bytes(make_zip({"ok.txt": b"ok", "../../evil": b"x"}))
    with pytest.raises(UnsafeArchive):
        extract_members(evil, {"ok.txt": tmp_path / "ok"}, max_bytes=100)
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        extract_members(link, {"link": tmp_path / "l"}, max_bytes=100)


def test_extracts_selected_members_within_cap(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(make_tar({"a/x.txt": b"x" * 10, "a/y.txt": b"y" * 10, "a/z": b"z"}))
    assert list_members(archive) == ["a/x.txt", "a/y.txt", "a/z"]
    done = extract_members(archive, {"a/x.txt": tmp_path / "o/x", "a/y.txt": tmp_path / "o/y"},
                           max_bytes=20)
    assert (tmp_path / "o/x").read_bytes() == b"x" * 10 and len(done) == 2
    with pytest.raises(UnsafeArchive, match="size cap"):
        extract_members(archive, {"a/x.txt": tmp_path / "p/x", "a/y.txt": tmp_path / "p/y"},
                        max_bytes=15)


def test_missing_member_and_truncated_archive_are_corrupt(tmp_path):
    archive = tmp_path / "a.tar.gz"
    data = make_tar({"a/x.txt": b"x" * 5000})
    archive.write_bytes(data)
    with pytest.raises(CorruptArchive, match="missing member"):
        extract_members(archive, {"a/nope": tmp_path / "n"}, max_bytes=10**6)
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptArchive):
        extract_members(archive, {"a/x.txt": tmp_path / "x"}, max_bytes=10**6)
    assert not (tmp_path / "x").exists()
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not an archive")
    with pytest.raises(CorruptArchive):
        extract_members(junk, {"x": tmp_path / "y"}, max_bytes=10)
