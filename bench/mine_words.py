"""Bench: unsupervised word mining and lexicon segmentation, side by side with the anchors.

Input: the pipeline's prepared raw text (1998 corpus + PKU + MSR test text; run the pipeline
first). Prints one JSON line per measurement:

* ``published_anchor``: the released test-set predictions of SLM (Sun & Deng, EMNLP 2018;
  repository Edward-Sun/SLM, ``models/unsupervised-{pku,msr}-{2,3,4}/prediction.txt``) scored by
  zhpipe's scorer against the same gold files as zhpipe's rows (SLM's test text is the
  original, full-width digits and letters; zhpipe's is normalised character for character, so
  the predicted boundaries carry over by position). ``--slm DIR``: a checkout of the
  repository; by default the files are downloaded from GitHub at a pinned commit into
  ``.bench-deps/slm``;
* ``mine_speed_quality``: zhpipe's full algorithm vs nlp-zero 0.1.6 (``Word_Finder``, character
  pairs only) at its defaults and at min_proba=1e-5, same input, same run: seconds, characters/s,
  PKU/MSR F1 of each, and the speed ratio;
* ``segment_speed``: zhpipe's lexicon segmenter vs jieba's default ``cut`` on the same text;
* ``mine_scaling``: zhpipe mining time and peak memory at 1x, 4x, 16x the corpus (the corpus
  repeated), each in a fresh process; ``--large`` adds 45x (about 100M characters).

nlp-zero is not a project dependency: it is installed into ``.bench-deps/`` on first use (pip).
It predates Python 3.10, so ``collections.Iterable`` is aliased before importing it.
"""

from __future__ import annotations

import argparse
import collections
import collections.abc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "prepared"
INPUTS = [DATA / "pd1998/raw.txt", DATA / "sighan2005/pku_test.raw.txt",
          DATA / "sighan2005/msr_test.raw.txt"]
DEPS = ROOT / ".bench-deps"
SLM_COMMIT = "062737ff9435583db3a5c7eae8b2bf9568e045ec"  # Edward-Sun/SLM: its only commit
SLM_RAW = "https://raw.githubusercontent.com/Edward-Sun/SLM/{commit}/{path}"
sys.path.insert(0, str(ROOT / "src"))


def emit(**kw):
    print(json.dumps(kw, ensure_ascii=False), flush=True)


def read_lines():
    return [line.rstrip("\n") for f in INPUTS for line in open(f, encoding="utf-8")]


def nlp_zero():
    if not (DEPS / "nlp_zero").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                        str(DEPS), "nlp_zero==0.1.6"], check=True)
    collections.Iterable = collections.abc.Iterable  # removed in Python 3.10
    sys.path.insert(0, str(DEPS))
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    from nlp_zero import Word_Finder

    return Word_Finder


def params():
    from zhpipe.mining.discover import MiningParams
    from zhpipe.params import read_params

    section = read_params(ROOT / "params.yaml")["mine_words"]
    return MiningParams(**{k: v for k, v in section.items() if k in MiningParams.model_fields})


def bench_mining(lines):
    from zhpipe.evaluation.segmentation import evaluate_sighan
    from zhpipe.mining.discover import mine

    chars = sum(map(len, lines))
    t0 = time.perf_counter()
    lex = mine(lambda: [lines], params())
    ours = time.perf_counter() - t0
    scores = evaluate_sighan(lex.segmenter().segment_lines, DATA / "sighan2005")
    ours_f1 = {k: round(v.f1 * 100, 2) for k, v in scores.items()}
    for std, s in scores.items():
        emit(bench="published_anchor", system="zhpipe mine (counting + mining, this run)",
             standard=std, f1=round(s.f1 * 100, 2), precision=round(s.precision * 100, 2),
             recall=round(s.recall * 100, 2), oov_recall=round((s.oov_recall or 0) * 100, 2),
             seconds=round(ours, 2), chars_per_sec=round(sum(map(len, lines)) / ours))
    finder_cls = nlp_zero()
    for label, kw in (("defaults", {}), ("min_proba=1e-5", {"min_proba": 1e-5})):
        finder = finder_cls(**kw)
        t0 = time.perf_counter()
        finder.train(lines)
        finder.find(lines)
        theirs = time.perf_counter() - t0
        tok = finder.export_tokenizer()
        f1 = {k: round(v.f1 * 100, 2) for k, v in evaluate_sighan(
            lambda raw, tok=tok: [tok.tokenize(x) if x else [] for x in raw],
            DATA / "sighan2005").items()}
        emit(bench="mine_speed_quality", characters=chars, zhpipe_seconds=round(ours, 2),
             zhpipe_chars_per_sec=round(chars / ours), zhpipe_f1=ours_f1,
             zhpipe_lexicon=len(lex), baseline=f"nlp-zero 0.1.6 Word_Finder {label}",
             baseline_seconds=round(theirs, 2), baseline_f1=f1, baseline_lexicon=len(finder.words),
             speed_ratio=round(theirs / ours, 2))
    return lex


def slm_prediction(std: str, max_len: int, checkout: Path | None) -> Path:
    rel = f"models/unsupervised-{std}-{max_len}/prediction.txt"
    if checkout:
        return checkout / rel
    path = DEPS / "slm" / rel
    if not path.exists():
        import urllib.request

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        urllib.request.urlretrieve(SLM_RAW.format(commit=SLM_COMMIT, path=rel), tmp)
        tmp.replace(path)
    return path


def bench_slm(checkout: Path | None):
    """Score SLM's released predictions with zhpipe's scorer (one row per standard and max
    word length)."""
    from zhpipe.evaluation.segmentation import read_oov_marks, score_segmentation

    sighan = DATA / "sighan2005"
    for std in ("pku", "msr"):
        gold = [line.split() for line in
                (sighan / f"{std}_test.gold.txt").read_text(encoding="utf-8").splitlines()]
        text = "".join(w for words in gold for w in words)
        marks = read_oov_marks(sighan / f"{std}_test.oov.txt")
        for max_len in (2, 3, 4):
            path = slm_prediction(std, max_len, checkout)
            predicted, pos = [], 0
            for line in path.read_text(encoding="utf-8").splitlines():
                words = []
                for w in line.split():  # the same characters, normalised: carry the spans over
                    words.append(text[pos:pos + len(w)])
                    pos += len(w)
                predicted.append(words)
            if pos != len(text):
                sys.exit(f"{path}: {pos} characters, the {std} gold has {len(text)}")
            s = score_segmentation(gold, predicted, None, marks)
            emit(bench="published_anchor", system=f"SLM max word length {max_len}",
                 source=f"Edward-Sun/SLM@{SLM_COMMIT[:7]} {path.relative_to(path.parents[2])}",
                 standard=std, f1=round(s.f1 * 100, 2), precision=round(s.precision * 100, 2),
                 recall=round(s.recall * 100, 2), oov_recall=round(s.oov_recall * 100, 2))


def bench_segment(lex, lines):
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    seg = lex.segmenter()
    chars = sum(map(len, lines))
    t0 = time.perf_counter()
    seg.segment_lines(lines)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for line in lines:
        list(jieba.cut(line))
    theirs = time.perf_counter() - t0
    emit(bench="segment_speed", characters=chars, zhpipe_chars_per_sec=round(chars / ours),
         baseline="jieba 0.42.1 cut (default, HMM on)", baseline_chars_per_sec=round(chars / theirs),
         ratio=round(theirs / ours, 2))


_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {src!r})
from zhpipe.mining.corpus_io import batches
from zhpipe.mining.discover import MiningParams, mine
p = MiningParams(**json.loads({params!r}))
t0 = time.perf_counter()
lex = mine(lambda: batches([{path!r}], 4_000_000), p)
print(json.dumps({{"seconds": time.perf_counter() - t0, "words": len(lex),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def bench_scaling(lines, factors):
    p = params()
    text = "\n".join(lines) + "\n"
    base = None
    for factor in factors:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8",
                                         delete=False) as fh:
            for _ in range(factor):
                fh.write(text)
        code = _CHILD.format(src=str(ROOT / "src"), params=p.model_dump_json(), path=fh.name)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout
        Path(fh.name).unlink()
        r = json.loads(out.strip().splitlines()[-1])
        chars = factor * sum(map(len, lines))
        base = base or r["seconds"] / factor
        emit(bench="mine_scaling", factor=factor, characters=chars,
             seconds=round(r["seconds"], 2), chars_per_sec=round(chars / r["seconds"]),
             peak_rss_mb=round(r["peak_rss_mb"]), baseline="1x time per copy",
             time_ratio_to_linear=round(r["seconds"] / (base * factor), 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--large", action="store_true", help="also 45x (about 100M characters)")
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--slm", type=Path, help="a checkout of Edward-Sun/SLM (default: download "
                    "its predictions from GitHub)")
    args = ap.parse_args()
    missing = [str(f) for f in INPUTS if not f.exists()]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: run the pipeline first (make run)")
    lines = read_lines()
    bench_slm(args.slm)
    lex = bench_mining(lines)
    bench_segment(lex, lines)
    if not args.skip_scaling:
        bench_scaling(lines, [1, 4, 16] + ([45] if args.large else []))


if __name__ == "__main__":
    main()
