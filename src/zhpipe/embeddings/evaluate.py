"""Word-vector evaluation: analogies (CA8 format), nearest neighbours, a 2-D projection.

Analogy a : b :: c : d is answered by the word x (not a, b or c) that maximises, over the
whole vocabulary, with cos the cosine similarity:

* 3CosAdd: ``cos(x, b) - cos(x, a) + cos(x, c)``;
* 3CosMul (Levy & Goldberg 2014): ``s(x, b) s(x, c) / (s(x, a) + 1e-3)`` with
  ``s = (cos + 1) / 2``.

Coverage is the share of questions whose four words are all in the vocabulary; accuracy is
over the covered questions (as the CA8 evaluator reports it), so the two are given separately.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np


@dataclass
class AnalogySet:
    name: str
    questions: list[tuple[str, str, str, str, str]]  # section, a, b, c, d
    malformed: int = 0
    sections: list[str] = field(default_factory=list)


def read_analogies(path: str | os.PathLike) -> AnalogySet:
    """CA8 / word2vec ``questions-words`` format: ``: section`` headers, then ``a b c d`` lines.
    Malformed lines are skipped and counted."""
    from pathlib import Path

    from zhpipe.corpus.text import read_lines

    path = Path(path)
    questions, sections, bad = [], [], 0
    section = ""
    for _, line in read_lines(path, keep_empty=False):
        if line.startswith(":"):
            section = line[1:].strip()
            sections.append(section)
            continue
        parts = line.split()
        if len(parts) != 4:
            bad += 1
            continue
        questions.append((section, *parts))
    return AnalogySet(path.stem, questions, bad, sections)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def solve_analogies(unit: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray,
                    method: str = "add", batch: int = 256) -> np.ndarray:
    """Predicted ids for analogy ids a : b :: c : ? (excluding a, b and c)."""
    out = np.empty(len(a), dtype=np.int64)
    for s in range(0, len(a), batch):
        sl = slice(s, s + batch)
        ca, cb, cc = unit[a[sl]] @ unit.T, unit[b[sl]] @ unit.T, unit[c[sl]] @ unit.T
        if method == "add":
            score = cb - ca + cc
        elif method == "mul":
            score = ((cb + 1) / 2) * ((cc + 1) / 2) / ((ca + 1) / 2 + 1e-3)
        else:
            raise ValueError(f"unknown analogy method {method!r} (add or mul)")
        rows = np.arange(score.shape[0])
        for ids in (a[sl], b[sl], c[sl]):
            score[rows, ids] = -np.inf
        out[sl] = score.argmax(axis=1)
    return out


def evaluate_analogies(words: list[str], vectors: np.ndarray, aset: AnalogySet) -> dict:
    """Accuracy (3CosAdd, 3CosMul), coverage and per-section accuracy of one analogy set."""
    index = {w: i for i, w in enumerate(words)}
    covered = [q for q in aset.questions if all(w in index for w in q[1:])]
    result = {"questions": len(aset.questions), "covered": len(covered),
              "coverage": len(covered) / len(aset.questions) if aset.questions else 0.0,
              "malformed_lines": aset.malformed}
    if not covered:
        result.update(accuracy=0.0, accuracy_mul=0.0, sections={})
        return result
    ids = np.array([[index[w] for w in q[1:]] for q in covered])
    unit = unit_rows(vectors.astype(np.float32))
    sections = np.array([q[0] for q in covered])
    for method, key in (("add", "accuracy"), ("mul", "accuracy_mul")):
        pred = solve_analogies(unit, ids[:, 0], ids[:, 1], ids[:, 2], method)
        hit = pred == ids[:, 3]
        result[key] = float(hit.mean())
        if method == "add":
            result["sections"] = {s: {"covered": int((sections == s).sum()),
                                      "accuracy": float(hit[sections == s].mean())}
                                  for s in dict.fromkeys(sections.tolist())}
    return result


def neighbours(words: list[str], vectors: np.ndarray, query: str, n: int = 10,
               unit: np.ndarray | None = None) -> list[tuple[str, float]]:
    """The n words closest to ``query`` by cosine; KeyError if it is not in the vocabulary."""
    index = {w: i for i, w in enumerate(words)}
    if query not in index:
        raise KeyError(query)
    unit = unit_rows(vectors.astype(np.float32)) if unit is None else unit
    sims = unit @ unit[index[query]]
    sims[index[query]] = -np.inf
    top = np.argsort(-sims)[:n]
    return [(words[i], float(sims[i])) for i in top]


def project_2d(vectors: np.ndarray) -> np.ndarray:
    """PCA to two dimensions (SVD of the centred vectors)."""
    x = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T
