import shutil
import subprocess
import sys
from pathlib import Path

from zhpipe import __version__
from zhpipe.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_version():
    out = subprocess.run([sys.executable, "-m", "zhpipe.cli", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == f"zhpipe {__version__}"


def test_profile_switch_round_trips_and_keeps_comments(tmp_path, monkeypatch, capsys):
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    shutil.copytree(ROOT / "params.d", tmp_path / "params.d")
    monkeypatch.chdir(tmp_path)
    original = (tmp_path / "params.yaml").read_text(encoding="utf-8")
    assert main(["profile", "full"]) == 0
    switched = (tmp_path / "params.yaml").read_text(encoding="utf-8")
    assert "fetch_optional: true" in switched and "# Offline mirror" in switched
    assert main(["profile", "show"]) == 0
    assert "full: active" in capsys.readouterr().out
    assert main(["profile", "quick"]) == 0
    assert (tmp_path / "params.yaml").read_text(encoding="utf-8") == original


def test_datasets_verifies_downloaded_files(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ZHPIPE_MIRROR", raising=False)
    params = tmp_path / "params.yaml"
    data = "北京 中国 东京 日本\n".encode()
    import hashlib

    params.write_text(
        "download:\n  catalogue:\n    ca8:\n      description: analogies\n      licence: x\n"
        "      files:\n        a.txt: {url: 'http://127.0.0.1:9/a.txt', sha256: "
        f"'{hashlib.sha256(data).hexdigest()}'}}\n", encoding="utf-8")
    raw = tmp_path / "raw" / "ca8"
    raw.mkdir(parents=True)
    (raw / "a.txt").write_bytes(data)
    (raw / "MANIFEST.json").write_text('{"files": {}}')
    assert main(["--params", str(params), "datasets", "--raw", str(tmp_path / "raw")]) == 0
    assert "present, 1 file(s) verified" in capsys.readouterr().out
    (raw / "a.txt").write_bytes(data + b"x")
    assert main(["--params", str(params), "datasets", "--raw", str(tmp_path / "raw")]) == 1
    assert "CORRUPT" in capsys.readouterr().out
