"""Stage ``mine_words`` as a function: mine a lexicon from the counted corpus, segment the corpus
with it, score it on SIGHAN 2005 and a dev split, and trace the pruning threshold's curve.

The counted corpus holds the SIGHAN test text (raw, never its segmentation): transductive and
unsupervised, as the literature scores word mining. ``features_inputs`` names text without any
test sentence; a second lexicon mined from it alone (``lexicon.features.tsv``) is what the CRF
taggers read, so that their test scores owe nothing to the test text."""

from __future__ import annotations

import time
from pathlib import Path

from zhpipe.corpus.raw_text import expand
from zhpipe.evaluation.segmentation import evaluate_sighan, score_segmentation
from zhpipe.fsutil import atomic_write, write_json
from zhpipe.mining.conventions import CONVENTIONS, with_conventions
from zhpipe.mining.corpus_io import batches, shard_lines
from zhpipe.mining.discover import mine, mine_steps, prune_and_estimate
from zhpipe.mining.lexicon_io import jieba_words, show, write_lexicon
from zhpipe.mining.ngrams import count_stream, load_shards, subtract
from zhpipe.mining.parallel import Forked
from zhpipe.mining.params import MineWordsParams


def run_mine_words(p: MineWordsParams, counts: Path, inputs: list[str], out: Path,
                   sighan: Path | None = None, dev_file: Path | None = None,
                   plot: Path | None = None, features_inputs: list[str] = (),
                   workers: int = 1, segment_inputs: list[str] = ()) -> dict:
    """Mine, write ``out/lexicon.tsv``, ``segmented.txt`` (``segment_inputs`` as the lexicon
    cuts them; default: the mined ``inputs``), ``curve.json`` (and ``lexicon.features.tsv``
    from ``features_inputs``); return the metrics. Inputs are files or raw_text folders (their
    parts). With ``workers`` >= 2 the features lexicon and the pruning curve are mined in forked
    processes beside the main mining (same results, less wall time)."""
    inputs, features_inputs = expand(inputs), expand(features_inputs)
    segment_inputs = expand(segment_inputs) or inputs
    t0 = time.perf_counter()
    tables = load_shards(counts)

    def passes():
        return batches(inputs, p.batch_chars)

    t_load = time.perf_counter() - t0
    features_job = Forked(lambda: mine_features(features_inputs, p, out, sighan, tables, inputs),
                          run_here=workers < 2) if features_inputs else None
    mined = mine_steps(passes, p, tables)
    miner, before, min_entropy, lexicon = (mined.miner, mined.candidates, mined.min_entropy,
                                           mined.lexicon)
    seconds = time.perf_counter() - t0
    curve_job = Forked(lambda: pruning_curve(miner, passes, before, p.curve_thresholds, sighan),
                       run_here=workers < 2)
    seg = lexicon.segmenter()
    chars = miner.stats["characters"]

    write_lexicon(lexicon, out / "lexicon.tsv")
    with atomic_write(out / "segmented.txt") as fh:
        for lines in batches(segment_inputs, p.batch_chars):
            for words in seg.segment_lines(lines):
                fh.write(" ".join(words) + "\n")

    scores = evaluate_sighan(seg.segment_lines, sighan) if sighan else {}
    dev_gold = read_gold(dev_file) if dev_file else None
    dev = score_dev(seg.segment_lines, dev_gold) if dev_gold else None
    steps = {"min_entropy": ablation(min_entropy, sighan, dev_gold),
             "refined": {"lexicon_size": len(lexicon),
                         **{f"{std}_f1": round(s.f1 * 100, 2) for std, s in scores.items()},
                         **({"dev_f1": round(dev.f1 * 100, 2)} if dev else {})}}
    conventions = {name: ablation(lexicon, sighan, dev_gold, [name])
                   for name in CONVENTIONS} if sighan or dev_gold else {}
    curve = curve_job.get()
    write_json(out / "curve.json", curve)
    if plot:
        plot_curve(curve, plot)
    features = features_job.get() if features_job else None
    total_seconds = time.perf_counter() - t0

    jw = jieba_words()
    new = [w for w in lexicon.words if len(w) > 1 and w not in jw and not any(
        u in w for u in "\ue000\ue001")]
    metrics = {
        **{std: {"f1": round(s.f1 * 100, 2), "precision": round(s.precision * 100, 2),
                 "recall": round(s.recall * 100, 2),
                 "oov_recall": round((s.oov_recall or 0) * 100, 2),
                 "iv_recall": round((s.iv_recall or 0) * 100, 2),
                 "f1_by_length": {k: round(v["f1"] * 100, 2) for k, v in s.by_length.items()}}
           for std, s in scores.items()},
        **({"dev": {"f1": round(dev.f1 * 100, 2), "precision": round(dev.precision * 100, 2),
                    "recall": round(dev.recall * 100, 2), "file": dev_file.as_posix()}}
           if dev else {}),
        "by_step": steps,
        "conventions": conventions,
        "lexicon_size": len(lexicon),
        "multi_char_words": lexicon.stats["multi_char_words"],
        "new_words": len(new),
        "characters": chars,
        "segmented_files": [Path(f).as_posix() for f in segment_inputs],
        "seconds": round(seconds, 2),
        "chars_per_sec": round(chars / seconds),
        "stage_seconds": round(total_seconds, 2),
        "stage_chars_per_sec": round(chars / total_seconds),
        "workers": workers,
        "seconds_by_step": {"load_counts": round(t_load, 2),
                            "min_entropy": round(mined.seconds["min_entropy"], 2),
                            "refine": round(mined.seconds["refine"], 2)},
        "code_length_nats": lexicon.stats.get("code_length_nats", []),
        "steps": {k: v for k, v in lexicon.stats.items() if isinstance(v, int)},
        "top_new_words": [show(w) for w in new[: p.top_new_words]],
        "curve": curve,
        "features_lexicon": features,
    }
    return metrics


def pruning_curve(miner, passes, candidates, thresholds, sighan: Path | None) -> list[dict]:
    """Lexicon size and F1 at each pruning threshold (one re-estimation each)."""
    curve = []
    for th in thresholds:
        lex = prune_and_estimate(miner, passes, candidates, th, iterations=1)
        point = {"prune_threshold": th, "lexicon_size": len(lex)}
        if sighan:  # optional: a corpus of one's own has no test set
            for std, s in evaluate_sighan(lex.segmenter().segment_lines,
                                          sighan).items():
                point[f"{std}_f1"] = round(s.f1 * 100, 2)
        curve.append(point)
    return curve


def mine_features(files: list[str], p, out: Path, sighan: Path | None,
                  tables: dict | None = None, counted: list[str] = ()) -> dict:
    """Mine ``files`` alone, write ``out/lexicon.features.tsv``; its own SIGHAN scores are then
    non-transductive. When ``files`` are a part of the ``counted`` files whose merged ``tables``
    are given, the n-gram counts are those tables less the counts of the other files (the test
    text: small), not a second count of everything; otherwise ``files`` are counted (bounded
    memory, as count_ngrams)."""
    t0 = time.perf_counter()
    others = [f for f in counted if f not in files]
    if tables is not None and others and set(files) <= set(counted):
        rest, _, _ = count_stream(shard_lines(others, 0, 1), p.max_order + 1, p.batch_chars)
        tables = {n: subtract(t, rest[n]) for n, t in tables.items() if n in rest}
        chars = int(tables[1].counts.sum())
    else:
        tables, _, chars = count_stream(shard_lines(files, 0, 1), p.max_order + 1, p.batch_chars)
    lexicon = mine(lambda: batches(files, p.batch_chars), p, tables)
    write_lexicon(lexicon, out / "lexicon.features.tsv")
    scores = evaluate_sighan(lexicon.segmenter().segment_lines, sighan) if sighan else {}
    return {"inputs": [Path(f).as_posix() for f in files], "characters": chars,
            "lexicon_size": len(lexicon), "seconds": round(time.perf_counter() - t0, 2),
            **{f"{std}_f1": round(s.f1 * 100, 2) for std, s in scores.items()}}


def read_gold(path: Path) -> list[list[str]]:
    """A gold segmented file: one sentence a line, words separated by spaces."""
    return [line.split() for line in path.read_text(encoding="utf-8").splitlines()]


def score_dev(segment, gold: list[list[str]]):
    """Word F1 of ``segment`` on gold sentences (their text joined back as the input)."""
    return score_segmentation(gold, segment(["".join(words) for words in gold]))


def ablation(lexicon, sighan: Path | None, dev: list[list[str]] | None, conventions=()) -> dict:
    """What one step's lexicon scores (with benchmark ``conventions`` on top, if any): its size
    and F1 on the test sets and the dev split."""
    segment = with_conventions(lexicon.segmenter().segment_lines, lexicon.words, conventions)
    out = {"lexicon_size": len(lexicon)}
    if sighan:
        out.update({f"{std}_f1": round(s.f1 * 100, 2)
                    for std, s in evaluate_sighan(segment, sighan).items()})
    if dev:
        out["dev_f1"] = round(score_dev(segment, dev).f1 * 100, 2)
    return out


def plot_curve(curve, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = [c["lexicon_size"] for c in curve]
    for std in ("pku", "msr"):
        if f"{std}_f1" in curve[0]:
            ax.plot(sizes, [c[f"{std}_f1"] for c in curve], marker="o", label=std.upper())
    for c in curve:
        ax.annotate(f"{c['prune_threshold']:g}", (c["lexicon_size"], c.get("pku_f1", 0)),
                    fontsize=7, textcoords="offset points", xytext=(3, 3))
    ax.set_xlabel("lexicon size (words)")
    ax.set_ylabel("word F1 (%)")
    ax.set_title("Minimum-entropy step: lexicon size vs F1 over the pruning threshold")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
