"""nVBE autonomy (zhpipe.mining.nvbe) and the boundary refinement of the mined lexicon."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from zhpipe.evaluation.segmentation import score_segmentation
from zhpipe.mining.discover import mine
from zhpipe.mining.ngrams import count_lines
from zhpipe.mining.nvbe import autonomy, branching_entropy
from zhpipe.mining.params import MiningParams

ROOT = Path(__file__).resolve().parents[3]


def _by_string(rows, values):
    return {"".join(map(chr, r)): float(v) for r, v in zip(rows, values, strict=True)}


def test_branching_entropy_by_hand():
    # 甲乙 twice, 甲丙 once, each line its own segment: cuts before 甲 and after 乙/丙
    t = count_lines(["甲乙", "甲丙", "甲乙"], 2)
    rows, counts, right, left = branching_entropy(t[1], t[2])
    r, lft = _by_string(rows, right), _by_string(rows, left)
    assert r["甲"] == pytest.approx(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3))
    # every 甲 follows a cut: three occurrences, three distinct unseen neighbours
    assert lft["甲"] == pytest.approx(math.log(3))
    assert r["乙"] == pytest.approx(math.log(2))  # both 乙 end a line
    assert lft["乙"] == pytest.approx(0.0)  # always after 甲
    assert _by_string(rows, counts) == {"甲": 3, "乙": 2, "丙": 1}


def test_branching_entropy_needs_the_next_order():
    t = count_lines(["甲乙丙"], 3)
    with pytest.raises(ValueError, match="needs the 2-gram counts"):
        branching_entropy(t[1], t[3])


def _word_corpus(seed=0, n_words=120, n_sentences=3000):
    rng = random.Random(seed)
    alphabet = [chr(0x4E00 + i) for i in range(300)]
    words = sorted({"".join(rng.choice(alphabet) for _ in range(rng.choice((2, 2, 3))))
                    for _ in range(n_words)})
    gold = [rng.choices(words, k=rng.randint(3, 10)) for _ in range(n_sentences)]
    return words, gold


def test_autonomy_ranks_words_above_strings_across_boundaries():
    words, gold = _word_corpus()
    raw = ["".join(s) for s in gold]
    auto = autonomy(count_lines(raw, 4), 3, min_count=2)
    a = auto.as_dict()
    for k in (1, 2, 3):  # standardised per length: each variation has mean 0
        assert abs(auto.score[k].mean()) < 1e-9
    crossing = set()
    for sent in gold[:500]:
        text = "".join(sent)
        ends = np.cumsum([len(w) for w in sent])[:-1]
        for e in ends:  # the two characters either side of a word boundary
            crossing.add(text[e - 1:e + 1])
    two = [w for w in words if len(w) == 2]
    crossing -= set(two)
    word_a = np.mean([a[w] for w in two if w in a])
    cross_a = np.mean([a[s] for s in crossing if s in a])
    assert word_a > cross_a + 1.0, (word_a, cross_a)


def test_autonomy_needs_counts_one_order_longer():
    with pytest.raises(ValueError, match="up to order 4"):
        autonomy(count_lines(["甲乙丙丁"], 3), 3)


def test_refinement_does_not_hurt_a_clean_corpus_and_can_be_turned_off():
    words, gold = _word_corpus(seed=1)
    raw = ["".join(s) for s in gold]
    base = dict(min_count=3, min_word_count=3, min_cohesion=[1.0, 2.0, 3.0], prune_threshold=0.0)
    off = mine(lambda: [raw], MiningParams(**base, autonomy_weight=0.0))
    on = mine(lambda: [raw], MiningParams(**base))
    f_off = score_segmentation(gold, off.segmenter().segment_lines(raw)).f1
    f_on = score_segmentation(gold, on.segmenter().segment_lines(raw)).f1
    assert f_on >= 0.9 and f_on >= f_off - 0.01, (f_on, f_off)
    assert on.stats["autonomy_rounds"] and "autonomy_rounds" not in off.stats


def _stage(name, *args, cwd, threads=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DVC_", "ZHPIPE_"))}
    if threads:
        env["ZHPIPE_THREADS"] = threads
    env.update(PYTHONPATH=str(ROOT / "src"), MLFLOW_TRACKING_URI=f"sqlite:///{cwd / 'ml.db'}")
    proc = subprocess.run([sys.executable, str(ROOT / "stages" / f"{name}.py"), *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_mining_never_reads_the_gold_segmentation(tmp_path):
    """The stage with the scoring files and without them writes the same lexicon."""
    words, gold = _word_corpus(seed=2)
    raw = ["".join(s) + "。" for s in gold]
    corpus = tmp_path / "raw.txt"
    corpus.write_text("\n".join(raw) + "\n", encoding="utf-8")
    sighan = tmp_path / "sighan"
    sighan.mkdir()
    (sighan / "pku_test.raw.txt").write_text("\n".join(raw[:200]) + "\n", encoding="utf-8")
    (sighan / "pku_test.gold.txt").write_text(
        "\n".join(" ".join([*s, "。"]) for s in gold[:200]) + "\n", encoding="utf-8")
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["count_ngrams"]["shards"] = [0]
    params["mine_words"].update(min_count=2, min_word_count=2, curve_thresholds=[2.0])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True),
                                          encoding="utf-8")
    _stage("count_ngrams", 0, "counts/0.npz", "m/count.json", corpus, cwd=tmp_path)
    _stage("mine_words", "--counts", "counts", "--metrics", "m/with.json", "--out", "with",
           "--sighan", sighan, corpus, cwd=tmp_path)
    _stage("mine_words", "--counts", "counts", "--metrics", "m/without.json", "--out", "without",
           corpus, cwd=tmp_path)
    lexicon = (tmp_path / "with" / "lexicon.tsv").read_bytes()
    assert lexicon == (tmp_path / "without" / "lexicon.tsv").read_bytes()
    assert len(lexicon.splitlines()) > 100
    # the first run did read the gold (it scored it); the second had none to read
    with_gold = json.loads((tmp_path / "m/with.json").read_text())
    assert with_gold["pku"]["f1"] > 50 and with_gold["by_step"]["refined"]["pku_f1"] > 50
    assert "pku" not in json.loads((tmp_path / "m/without.json").read_text())
    # the features lexicon (no test text): its counts are the merged counts less the test
    # text's, mined in a forked process; the same lexicon as mining the text alone, one worker
    # or two
    test_raw = sighan / "pku_test.raw.txt"
    _stage("count_ngrams", 0, "counts2/0.npz", "m/count2.json", corpus, test_raw, cwd=tmp_path)
    for threads in ("1", "2"):
        _stage("mine_words", "--counts", "counts2", "--metrics", f"m/f{threads}.json", "--out",
               f"f{threads}", "--features-inputs", corpus, "--", corpus, test_raw, cwd=tmp_path,
               threads=threads)
        assert (tmp_path / f"f{threads}" / "lexicon.features.tsv").read_bytes() == lexicon
        assert json.loads((tmp_path / f"m/f{threads}.json").read_text())["workers"] == int(threads)


def test_joint_model_scores_lexicon_words_and_ngrams_outside_it():
    from zhpipe.mining.nvbe import JointModel

    lines = ["为了国家为了人民", "国家人民", "为国家"] * 20
    auto = autonomy(count_lines(lines, 3), 2, min_count=2)
    model = JointModel(auto, weight=0.0, floor=2.0, ngram_share=0.5, max_word_len=6)
    lexicon = {"国家": 10.0, "为": 5.0, "了": 5.0, "人": 3.0, "民": 3.0, "国": 1.0, "家": 1.0}
    seg = model.segmenter(lexicon)
    total = sum(lexicon.values())
    logp = dict(zip(seg.words, seg.logprobs, strict=True))
    assert logp["国家"] == pytest.approx(math.log(10 / total))  # the lexicon's count
    assert logp["为了"] == pytest.approx(math.log(0.5 * 40 / total))  # half its 40 occurrences
    assert "为了国家为了人民" not in logp  # longer than the autonomy's strings


def test_numeral_classifier_convention_learns_classifiers_from_the_lexicon():
    from zhpipe.mining.conventions import classifiers, split_numeral_classifier, with_conventions

    words = ["一个", "三个", "几个", "十几个", "一些", "一年", "两年", "三年", "五年", "一样"]
    classes = classifiers(words, min_numerals=3)
    assert classes == {"个", "年"}  # 些 and 样 follow one numeral only: 一些, 一样 stay words
    lines = [["这", "一年", "有", "三个", "一些", "一样"]]
    assert split_numeral_classifier(lines, classes) == [
        ["这", "一", "年", "有", "三", "个", "一些", "一样"]]
    segment = with_conventions(lambda raw: [[x] for x in raw], words, [])
    assert segment(["一年"]) == [["一年"]]  # no convention: unchanged
    with pytest.raises(ValueError, match="unknown segmentation convention"):
        with_conventions(segment, words, ["msr_dates"])
