import shutil
import subprocess
import sys
from pathlib import Path

from zhpipe.cli import __version__, main

ROOT = Path(__file__).resolve().parents[3]


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

    params.write_text("download:\n  disabled: []\n", encoding="utf-8")
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(
        "catalogue:\n  ca8:\n    description: analogies\n    licence: x\n"
        "    files:\n      a.txt: {url: 'http://127.0.0.1:9/a.txt', sha256: "
        f"'{hashlib.sha256(data).hexdigest()}'}}\n", encoding="utf-8")
    raw = tmp_path / "raw" / "ca8"
    raw.mkdir(parents=True)
    (raw / "a.txt").write_bytes(data)
    (raw / "MANIFEST.json").write_text('{"files": {}}')
    args = ["--params", str(params), "datasets", "--raw", str(tmp_path / "raw"),
            "--catalogue", str(cat)]
    assert main(args) == 0
    assert "present, 1 file(s) verified" in capsys.readouterr().out
    (raw / "a.txt").write_bytes(data + b"x")
    assert main(args) == 1
    assert "CORRUPT" in capsys.readouterr().out


def test_datasets_reports_a_disabled_dataset_as_disabled(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ZHPIPE_MIRROR", raising=False)
    params = tmp_path / "params.yaml"
    params.write_text("download:\n  disabled: [zhwiki]\n", encoding="utf-8")
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(
        "catalogue:\n  zhwiki:\n    description: dump\n    licence: x\n"
        "    files:\n      d.xml.bz2: {url: 'http://127.0.0.1:9/d'}\n", encoding="utf-8")
    raw = tmp_path / "raw" / "zhwiki"  # what the download stage leaves for a disabled dataset
    raw.mkdir(parents=True)
    (raw / "MANIFEST.json").write_text('{"files": {}, "disabled": true}')
    assert main(["--params", str(params), "datasets", "--raw", str(tmp_path / "raw"),
                 "--catalogue", str(cat)]) == 0
    out = capsys.readouterr().out
    assert "disabled" in out and "CORRUPT" not in out


def test_model_commands_print_no_tensorflow_start_up_notices(tmp_path):
    proc = _zhpipe("couplet", "天高云淡", "--models", str(tmp_path / "none"))
    assert proc.returncode == 2 and b"train_couplet" in proc.stderr
    assert b"oneDNN" not in proc.stderr and b"absl" not in proc.stderr, proc.stderr


def _zhpipe(*args, stdin=b"", cwd=None):
    return subprocess.run([sys.executable, "-m", "zhpipe.cli", *args], input=stdin,
                          capture_output=True, cwd=cwd)


def test_segment_reads_stdin_keeps_empty_lines_and_rejects_non_utf8(tmp_path):
    lex = tmp_path / "lex.txt"
    lex.write_text("北京 10\n欢迎 8\n你 5\n", encoding="utf-8")
    out = _zhpipe("segment", "--lexicon", str(lex), stdin="北京欢迎你\n\n，你\n".encode())
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode() == "北京 欢迎 你\n\n， 你\n"
    bad = _zhpipe("segment", "--lexicon", str(lex), stdin="北京\n".encode() + b"\xff\xfe\n")
    assert bad.returncode == 2
    assert b"line 2 is not UTF-8" in bad.stderr
    assert bad.stdout.decode() == "北京\n"  # what came before the bad line is written
    missing = _zhpipe("segment", "--lexicon", str(tmp_path / "nope.tsv"))
    assert missing.returncode == 2 and b"no lexicon" in missing.stderr


def test_mine_writes_a_lexicon_and_domain_terms(tmp_path):
    import random

    rng = random.Random(0)
    common = ["我们", "今天", "很好", "的", "是", "他们", "天气", "计算机"]
    domain = ["量子", "比特", "纠缠", "计算机"]

    def text(words, n):
        return "".join("".join(rng.choice(words) for _ in range(8)) + "。\n" for _ in range(n))

    target = tmp_path / "target.txt"
    target.write_text(text(common + domain, 300), encoding="utf-8")
    back = tmp_path / "back.txt"
    back.write_text(text(common, 300), encoding="utf-8")
    # a small corpus: N is small, so the PMI thresholds must be lower than the defaults
    (tmp_path / "params.yaml").write_text("mine_words:\n  min_cohesion: [1.0, 2.0, 3.0]\n")
    out = _zhpipe("--params", str(tmp_path / "params.yaml"), "mine", str(target), "--out",
                  str(tmp_path / "lex.tsv"), "--background", str(back), "--quiet")
    assert out.returncode == 0, out.stderr
    words = [line.split("\t")[0] for line in (tmp_path / "lex.tsv").read_text().splitlines()[1:]]
    assert "计算机" in words and "很好" in words
    domain = (tmp_path / "lex.domain.tsv").read_text(encoding="utf-8").splitlines()
    ranked = [line.split("\t")[0] for line in domain[1:]]
    assert ranked.index("量子") < ranked.index("很好")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    bad = _zhpipe("mine", str(empty), "--out", str(tmp_path / "x.tsv"), "--quiet")
    assert bad.returncode == 2 and b"empty" in bad.stderr


def test_similar_and_analogy_commands(tmp_path):
    import numpy as np

    from zhpipe.embeddings.io import save_npz

    words = ["王", "后", "男", "女", "猫"]
    vec = np.array([[1, 1, 1, 0], [-1, 1, 1, 0], [1, 0, 1, 0], [-1, 0, 1, 0], [0, 0, 0, 1]], float)
    save_npz(tmp_path / "v.npz", words, vec, np.array([5, 4, 3, 2, 1]))
    out = _zhpipe("similar", "王", "-n", "2", "--vectors", str(tmp_path / "v.npz"))
    assert out.returncode == 0
    assert [line.split("\t")[0] for line in out.stdout.decode().splitlines()] == ["男", "后"]
    missing = _zhpipe("similar", "狗", "--vectors", str(tmp_path / "v.npz"))
    assert missing.returncode == 1 and "'狗' is not in the vocabulary" in missing.stderr.decode()
    ana = _zhpipe("analogy", "男", "女", "王", "--vectors", str(tmp_path / "v.npz"))
    assert ana.returncode == 0
    assert ana.stdout.decode().splitlines()[0].startswith("男 : 女 :: 王 : 后")
    none = _zhpipe("similar", "王", "--vectors", str(tmp_path / "nope.npz"))
    assert none.returncode == 2 and b"not found; run the word2vec stage" in none.stderr
