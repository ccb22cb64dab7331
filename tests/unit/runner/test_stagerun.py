"""Ctrl-C in the middle of a real stage leaves its last good output as it was (issue 18, probe 8).

mine_words used to write its folder file by file: interrupted, the folder held a new
``lexicon.tsv`` beside nothing else, while the stage printed "no partial output was left
behind". The test runs the real stage scripts on a generated corpus, interrupts the second run
of mine_words once its new folder has begun to fill, and compares."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _stage(name: str, *args, cwd: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DVC_", "ZHPIPE_"))}
    env.update(PYTHONPATH=str(ROOT / "src"), MLFLOW_TRACKING_URI=f"sqlite:///{cwd / 'ml.db'}")
    # SIGINT at its default, as under a terminal: a job started in the background by a
    # non-interactive shell (CI) inherits it ignored, and Python keeps an inherited ignore
    return subprocess.Popen([sys.executable, str(ROOT / "stages" / f"{name}.py"), *map(str, args)],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_ctrl_c_in_mine_words_keeps_the_last_good_folder(tmp_path):
    rng = random.Random(0)
    words = ["".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(rng.choice((1, 2, 2, 3))))
             for _ in range(300)]
    corpus = tmp_path / "raw.txt"
    corpus.write_text("\n".join("".join(rng.choice(words) for _ in range(12)) + "。"
                                for _ in range(15000)) + "\n", encoding="utf-8")
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["count_ngrams"]["shards"] = [0]
    params["mine_words"].update(curve_thresholds=[0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True),
                                          encoding="utf-8")
    proc = _stage("count_ngrams", 0, "counts/0.npz", "m/count.json", corpus, cwd=tmp_path)
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    mine = ("--counts", "counts", "--out", "out", "--metrics", "m/mine.json", corpus)
    proc = _stage("mine_words", *mine, cwd=tmp_path)
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    good = _tree(tmp_path / "out")
    assert {"lexicon.tsv", "segmented.txt"} <= set(good)

    proc = _stage("mine_words", *mine, cwd=tmp_path)
    deadline = time.monotonic() + 300
    while not list(tmp_path.glob(".out.*.tmp/lexicon.tsv")):  # the new folder is being built
        assert proc.poll() is None, "the stage ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130
    assert "interrupted; no partial output was left behind" in proc.stderr.read()
    assert _tree(tmp_path / "out") == good
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []
