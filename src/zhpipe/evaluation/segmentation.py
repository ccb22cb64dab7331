"""Word segmentation scoring, as the SIGHAN bakeoff scores it: matching word spans.

A predicted word is correct when a gold word covers exactly the same characters. With ``G`` gold
words, ``P`` predicted words and ``C`` correct ones::

    precision = C / P        recall = C / G        F1 = 2 P R / (P + R)

OOV recall is the recall over gold words absent from the training vocabulary (IV recall over the
rest). The bakeoff's scorer compares the gold words, as written, with the official training word
list; the prepare stage records that verdict per gold word (``<std>_test.oov.txt``) because our
character normalisation would otherwise turn the PKU test's ASCII numbers into in-vocabulary words
and report OOV recall over a smaller, harder set than the published numbers use.

Spans are taken over the whole character stream rather than line by line, because test and gold
files may break lines at different places (the MSR test set does, 8 times); the two streams must
hold the same characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field


class StreamMismatch(ValueError):
    pass


def _spans(lines: Iterable[Iterable[str]]) -> tuple[list[tuple[int, int]], list[str],
                                                               list[int]]:
    spans, words, line_of = [], [], []
    pos = 0
    for no, line in enumerate(lines, 1):
        for w in line:
            if not w:
                continue
            spans.append((pos, pos + len(w)))
            words.append(w)
            line_of.append(no)
            pos += len(w)
    return spans, words, line_of


def _div(a: float, b: float) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class SegmentationScore:
    precision: float
    recall: float
    f1: float
    oov_recall: float | None
    iv_recall: float | None
    oov_rate: float | None
    gold_words: int
    predicted_words: int
    correct_words: int
    by_length: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def score_segmentation(gold: Iterable[Iterable[str]], predicted: Iterable[Iterable[str]],
                       vocabulary: set[str] | None = None,
                       oov: Iterable[bool] | None = None) -> SegmentationScore:
    """Score ``predicted`` against ``gold`` (each an iterable of lines, a line a list of words).

    ``vocabulary``: the training words, for OOV/IV recall (None: not reported). ``oov`` instead
    gives one flag per gold word, in order (e.g. the official marks of ``<std>_test.oov.txt``,
    which :func:`read_oov_marks` reads). Raises
    StreamMismatch when the two character streams differ, naming the first differing position.
    ``by_length`` groups words of length 1, 2, 3, 4 and "5+".
    """
    import numpy as np

    gold, predicted = [list(x) for x in gold], [list(x) for x in predicted]
    g_words = [w for line in gold for w in line if w]
    p_words = [w for line in predicted for w in line if w]
    g_text, p_text = "".join(g_words), "".join(p_words)
    if g_text != p_text:
        g_spans, _, g_line = _spans(gold)
        p_spans, _, p_line = _spans(predicted)
        i = next((k for k, (a, b) in enumerate(zip(g_text, p_text, strict=False)) if a != b),
                 min(len(g_text), len(p_text)))
        gi = next((k for k, s in enumerate(g_spans) if s[1] > i), len(g_spans) - 1)
        pi = next((k for k, s in enumerate(p_spans) if s[1] > i), len(p_spans) - 1)
        raise StreamMismatch(
            f"the predicted text differs from the gold text at character {i} (gold line "
            f"{g_line[gi] if g_line else '-'}, predicted line {p_line[pi] if p_line else '-'}): "
            f"{g_text[i:i + 10]!r} vs {p_text[i:i + 10]!r}")
    # spans as one integer each (start * (N + 1) + end): matching is a sorted-set membership
    g_len = np.fromiter(map(len, g_words), dtype=np.int64, count=len(g_words))
    p_len = np.fromiter(map(len, p_words), dtype=np.int64, count=len(p_words))
    base = len(g_text) + 1
    g_end, p_end = np.cumsum(g_len), np.cumsum(p_len)
    correct = np.isin((g_end - g_len) * base + g_end, (p_end - p_len) * base + p_end)
    n_correct = int(correct.sum())
    precision = _div(n_correct, len(p_words))
    recall = _div(n_correct, len(g_words))

    names = ["1", "2", "3", "4", "5+"]
    g_b, p_b = np.minimum(g_len, 5) - 1, np.minimum(p_len, 5) - 1
    gold_len = np.bincount(g_b, minlength=5)
    pred_len = np.bincount(p_b, minlength=5)
    hit_len = np.bincount(g_b[correct], minlength=5)
    by_length = {}
    for b in range(5):
        if gold_len[b] or pred_len[b]:
            p, r = _div(int(hit_len[b]), int(pred_len[b])), _div(int(hit_len[b]), int(gold_len[b]))
            by_length[names[b]] = {"gold": int(gold_len[b]), "predicted": int(pred_len[b]),
                                   "correct": int(hit_len[b]), "precision": p, "recall": r,
                                   "f1": _f1(p, r)}
    oov_recall = iv_recall = oov_rate = None
    if oov is not None:
        oov = list(oov)
        if len(oov) != len(g_words):
            raise ValueError(f"{len(oov)} OOV marks for {len(g_words)} gold words")
    elif vocabulary is not None:
        oov = [w not in vocabulary for w in g_words]
    if oov is not None:
        marks = np.asarray(oov, dtype=bool)
        n_oov = int(marks.sum())
        oov_rate = _div(n_oov, len(g_words))
        oov_recall = _div(int((correct & marks).sum()), n_oov)
        iv_recall = _div(int((correct & ~marks).sum()), len(g_words) - n_oov)
    return SegmentationScore(precision, recall, _f1(precision, recall), oov_recall, iv_recall,
                             oov_rate, len(g_words), len(p_words), n_correct, by_length)


def read_oov_marks(path) -> list[bool] | None:
    """The flattened ``1``/``0`` marks of a prepared ``<std>_test.oov.txt`` (None: no file)."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        return None
    return [m == "1" for m in path.read_text(encoding="utf-8").split()]


def evaluate_sighan(segment, sighan_dir, standards=("pku", "msr")) -> dict[str, SegmentationScore]:
    """Score ``segment`` (list of raw lines -> list of word lists) on the prepared SIGHAN 2005
    test sets in ``sighan_dir`` (``<std>_test.raw.txt``, ``<std>_test.gold.txt`` and, for OOV
    recall, ``<std>_test.oov.txt``, else ``<std>_training_words.txt``)."""
    from pathlib import Path

    sighan_dir = Path(sighan_dir)
    out = {}
    for std in standards:
        raw_path = sighan_dir / f"{std}_test.raw.txt"
        if not raw_path.exists():
            continue
        raw = raw_path.read_text(encoding="utf-8").split("\n")[:-1]
        gold = [line.split() for line in
                (sighan_dir / f"{std}_test.gold.txt").read_text(encoding="utf-8").split("\n")[:-1]]
        words_path = sighan_dir / f"{std}_training_words.txt"
        vocab = set(words_path.read_text(encoding="utf-8").split()) if words_path.exists() else None
        marks = read_oov_marks(sighan_dir / f"{std}_test.oov.txt")
        out[std] = score_segmentation(gold, segment(raw), vocab, marks)
    return out
