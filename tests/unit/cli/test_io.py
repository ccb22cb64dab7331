"""The command line never overwrites its input, decodes strictly and turns every broken model or
vector file into one line that names the file and the stage that makes it (issue 18). Each test
failed on the code before: exit 0 with the input replaced, GBK bytes echoed back, tracebacks,
or "File not found" for a file that exists."""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


def zhpipe(*args, stdin: bytes = b"", cwd=None):
    return subprocess.run([sys.executable, "-m", "zhpipe.cli", *map(str, args)], input=stdin,
                          capture_output=True, cwd=cwd, timeout=300)


def test_mine_refuses_to_write_over_its_corpus(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("天高云淡\n" * 20, encoding="utf-8")
    proc = zhpipe("mine", corpus, "--out", corpus, "--quiet")
    assert proc.returncode == 2 and b"it would be overwritten" in proc.stderr
    assert corpus.read_text(encoding="utf-8") == "天高云淡\n" * 20
    proc = zhpipe("mine", corpus, "--out", tmp_path, "--quiet")  # a folder
    assert proc.returncode == 2 and b"is a folder" in proc.stderr


def test_cloze_refuses_to_write_over_its_queries(tmp_path):
    queries = tmp_path / "q.doc_query"
    queries.write_text("1 ||| 小 猴 。\n<qid_0> ||| XXXXX 来 了 。\n", encoding="utf-8")
    before = queries.read_bytes()
    proc = zhpipe("cloze", queries, "--out", queries, "--models", tmp_path / "none")
    assert proc.returncode == 2 and b"it would be overwritten" in proc.stderr
    assert queries.read_bytes() == before


def test_couplet_refuses_bytes_that_are_not_utf8(tmp_path):
    gbk = "天高云淡".encode("gbk")
    proc = zhpipe("couplet", "--models", tmp_path, stdin=gbk + b"\n")
    assert proc.returncode == 2 and b"line 1 is not UTF-8" in proc.stderr
    assert gbk not in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "zhpipe.cli", "couplet", b"--models",
                           str(tmp_path).encode(), gbk], capture_output=True, timeout=300)
    assert proc.returncode == 2 and b"argument 1 is not UTF-8" in proc.stderr


@pytest.mark.parametrize("count", ["inf", "1e400", "-3", "nan"])
def test_a_lexicon_count_that_is_not_a_positive_finite_number_is_refused(tmp_path, count):
    lex = tmp_path / "lexicon.tsv"
    lex.write_text(f"word\tcount\n天高\t{count}\n", encoding="utf-8")
    proc = zhpipe("segment", "--lexicon", lex, stdin="天高云淡\n".encode())
    assert proc.returncode == 2 and f"{lex}:2".encode() in proc.stderr


def test_a_header_only_lexicon_is_refused(tmp_path):
    lex = tmp_path / "lexicon.tsv"
    lex.write_text("word\tcount\n", encoding="utf-8")
    proc = zhpipe("segment", "--lexicon", lex, stdin="天高云淡\n".encode())
    assert proc.returncode == 2 and b"no words" in proc.stderr and b"Traceback" not in proc.stderr


def test_similar_needs_a_positive_count():
    proc = zhpipe("similar", "中国", "-n", "-5")
    assert proc.returncode == 2 and b"at least 1" in proc.stderr


def _broken_files(folder: Path, name: str) -> dict[str, bytes]:
    """A zero-byte, a truncated and a bit-flipped version of a real .keras zip."""
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    good = folder / "good.keras"
    model.save(good)
    data = good.read_bytes()
    flipped = bytearray(data)
    for i in range(40, len(flipped), 97):
        flipped[i] ^= 0xFF
    return {"empty": b"", "truncated": data[: len(data) // 3], "flipped": bytes(flipped)}


@pytest.mark.parametrize("how", ["empty", "truncated", "flipped"])
def test_a_broken_model_file_is_named_with_its_stage(tmp_path, how):
    models = tmp_path / "couplet"
    models.mkdir()
    (models / "seq2seq.keras").write_bytes(_broken_files(tmp_path, "seq2seq")[how])
    proc = zhpipe("couplet", "天高云淡", "--models", models)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert str(models / "seq2seq.keras") in err and "train_couplet" in err
    assert "not found" not in err  # it exists


def test_a_broken_vector_file_is_named_with_its_stage(tmp_path):
    vec = tmp_path / "vectors.npz"
    np.savez(vec, vectors=np.zeros((2, 3), np.float32), counts=np.ones(2, np.int64),
             words=np.array("甲\n乙"))
    vec.write_bytes(vec.read_bytes()[:100])
    proc = zhpipe("similar", "甲", "--vectors", vec)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and str(vec) in err and "word2vec" in err
    assert "Traceback" not in err
    assert zipfile.is_zipfile(vec) is False


def test_snakemake_markers_are_invisible_to_dvc():
    """DVC hashed Snakemake's .snakemake_timestamp inside folder outputs, so a folder built by
    Snakemake and the same content built by DVC had different hashes (needless reruns)."""
    proc = subprocess.run([Path(sys.executable).parent / "dvc", "check-ignore",
                           "data/prepared/pd1998/.snakemake_timestamp"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_outputs_get_the_modes_of_the_umask(tmp_path):
    """mkstemp/mkdtemp create 0600/0700; outputs are for the team to read (issue 18)."""
    import os

    from zhpipe.fsutil import atomic_dir, write_text

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
        with atomic_dir(tmp_path / "d") as d:
            write_text(d / "b.txt", "y")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "d" / "b.txt").stat().st_mode & 0o777 == 0o644


class _SpyTagger:
    """Tags 江泽民 PER and 北京 LOC; remembers the longest text it was given."""

    longest = 0

    def tag(self, texts):
        _SpyTagger.longest = max([_SpyTagger.longest, *map(len, texts)])
        out = []
        for text in texts:
            tags = ["O"] * len(text)
            for name, typ in (("江泽民", "PER"), ("北京", "LOC")):
                start = text.find(name)
                while start >= 0:
                    tags[start:start + len(name)] = [f"B-{typ}"] + [f"I-{typ}"] * (len(name) - 1)
                    start = text.find(name, start + 1)
            out.append(tags)
        return out


def test_one_huge_line_is_tagged_in_bounded_pieces(monkeypatch, capsys):
    """Issue 18: one 50 MB line went to the model whole (6.2 / 10.7 GB for the CRF / names
    tagger). The model now sees pieces of at most PIECE_CHARS, and the offsets are the line's."""
    import io
    import json

    from zhpipe.cli import mining as cli

    sentence = "江泽民在北京会见了客人。"
    line = sentence * 3000  # 36,000 characters, one line
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"北京\n\n{line}\n"))
    monkeypatch.setattr(cli, "_tagger", lambda folder, name: _SpyTagger())
    assert cli.cmd_ner(argparse.Namespace(crf_dir="x", batch_chars=10_000)) == 0
    short, empty, long = (json.loads(x) for x in capsys.readouterr().out.splitlines())
    assert short == {"text": "北京", "entities": [
        {"type": "LOC", "start": 0, "end": 2, "text": "北京"}]}
    assert empty == {"text": "", "entities": []}
    assert long["text"] == line and len(long["entities"]) == 6000
    for ent in long["entities"]:
        assert line[ent["start"]:ent["end"]] == ent["text"] in ("江泽民", "北京")
    assert _SpyTagger.longest <= cli.PIECE_CHARS


def test_one_huge_line_is_segmented_in_pieces_into_one_output_line(tmp_path, monkeypatch,
                                                                      capsys):
    import io

    from zhpipe.cli import mining as cli

    lex = tmp_path / "lex.tsv"
    lex.write_text("word\tcount\n江泽民\t5\n北京\t5\n会见\t3\n客人\t3\n在\t9\n了\t9\n。\t9\n",
                   encoding="utf-8")
    sentence = "江泽民在北京会见了客人。"
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{sentence * 3000}\n{sentence}\n"))
    args = argparse.Namespace(model="lexicon", lexicon=str(lex), crf_dir="x",
                              batch_chars=10_000, convention=None)
    assert cli.cmd_segment(args) == 0
    long, short = capsys.readouterr().out.split("\n")[:2]
    words = "江泽民 在 北京 会见 了 客人 。"
    assert short == words and long == " ".join([words] * 3000)
