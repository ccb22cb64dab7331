"""Stage ``eval_word2vec`` as a function: CA8 analogies, nearest neighbours of probe words and
a 2-D projection plot of the word2vec stage's vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zhpipe.embeddings.evaluate import evaluate_analogies, neighbours, project_2d, read_analogies
from zhpipe.embeddings.io import load_npz
from zhpipe.embeddings.params import EvalWord2VecParams


def run_evaluation(p: EvalWord2VecParams, vectors_npz: Path, ca8: Path, plot: Path | None
                   ) -> dict:
    words, vectors, _ = load_npz(vectors_npz)
    metrics: dict = {"ca8": evaluate_ca8(words, vectors, ca8), "neighbours": {}}
    for w in p.probe_words:
        try:
            metrics["neighbours"][w] = [x for x, _ in neighbours(words, vectors, w, p.neighbours)]
        except KeyError:
            metrics["neighbours"][w] = []
    if plot is not None:
        metrics["projection"] = plot_projection(words, vectors, p.projection_groups, plot)
    return metrics


def evaluate_ca8(words: list[str], vectors: np.ndarray, folder: Path) -> dict:
    result = {}
    total_q = total_cov = 0
    for name in ("morphological", "semantic"):
        path = folder / f"{name}.txt"
        if not path.exists():
            continue
        r = evaluate_analogies(words, vectors, read_analogies(path))
        result[name] = r
        total_q += r["questions"]
        total_cov += r["covered"]
    result["coverage"] = total_cov / total_q if total_q else 0.0
    return result


def _cjk_font():
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        if any(k in f.name for k in ("CJK", "Han Sans", "Hei", "WenQuanYi", "Ming", "Song")):
            return f.name
    return None


def plot_projection(words: list[str], vectors: np.ndarray, groups: dict[str, list[str]],
                    path: Path) -> dict:
    """PCA of a few word groups; labels in Chinese when a CJK font exists, else numbered (the
    numbers are returned with the words, for the report)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zhpipe.fsutil import atomic_write

    index = {w: i for i, w in enumerate(words)}
    chosen = [(g, w) for g, ws in groups.items() for w in ws if w in index]
    font = _cjk_font()
    if font:
        plt.rcParams["font.family"] = font
    fig, ax = plt.subplots(figsize=(7, 5))
    labels = {}
    if len(chosen) < 3:  # the declared output is always written, saying why it is empty
        ax.text(0.5, 0.5, f"only {len(chosen)} of the group words are in the vocabulary",
                ha="center", va="center", transform=ax.transAxes)
        groups = {}
    else:
        xy = project_2d(vectors[[index[w] for _, w in chosen]])
    for gi, g in enumerate(groups):
        sel = [i for i, (gg, _) in enumerate(chosen) if gg == g]
        ax.scatter(xy[sel, 0], xy[sel, 1], label=g, color=f"C{gi}")
        for i in sel:
            text = chosen[i][1] if font else str(i)
            labels[str(i)] = chosen[i][1]
            ax.annotate(text, xy[i], fontsize=8, xytext=(2, 2), textcoords="offset points")
    if groups:
        ax.legend()
    ax.set_title("Word vectors, first two principal components")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
    return {"plotted": len(chosen) if groups else 0, "labels": labels if not font else {}}
