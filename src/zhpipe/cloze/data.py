"""CMRC 2017 cloze files: reading, writing, scoring.

``*.doc_query``: one segmented sentence per line, ``N ||| w w w``; each passage ends with a
``<qid_K> ||| w w XXXXX w`` line holding the query, whose blank is the token ``XXXXX``. In the
official files the query sentence also stands, blanked, inside the passage, and the answer is a
word found elsewhere in the passage.

``*.answer`` (and the organisers' ``*.out`` prediction files): ``<qid_K> ||| word`` per line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from zhpipe.errors import UserError

BLANK = "XXXXX"
SEP = " ||| "
_QID = re.compile(r"^<qid_[^>]*>$")


class ClozeFormatError(UserError, ValueError):
    """A malformed doc_query or answer file; the message names the file and line."""


@dataclass
class ClozeItem:
    qid: str
    passage: list[list[str]]  # sentences of tokens
    query: list[str]
    answer: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def tokens(self) -> list[str]:
        return [w for s in self.passage for w in s]


@dataclass
class ReadStats:
    items: int = 0
    skipped_no_blank: int = 0
    skipped_empty_passage: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _split(line: str, path, no: int) -> tuple[str, str]:
    head, sep, rest = line.partition("|||")
    if not sep:
        raise ClozeFormatError(f"{path}:{no}: expected 'N ||| words' or '<qid_K> ||| query', "
                               f"got {line[:60]!r}")
    return head.strip(), rest.strip()


def read_doc_query(path: str | os.PathLike, stats: ReadStats | None = None) -> list[ClozeItem]:
    """Items of a doc_query file. A query without ``XXXXX`` or with an empty passage is skipped
    and counted in ``stats``; a malformed line or sentences left without a query line at the end
    of the file are errors naming the line."""
    stats = stats if stats is not None else ReadStats()
    items: list[ClozeItem] = []
    passage: list[list[str]] = []
    start = 1
    try:
        with open(path, encoding="utf-8") as fh:
            for no, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                head, text = _split(line, path, no)
                if _QID.match(head):
                    query = text.split()
                    if not passage:
                        stats.skipped_empty_passage += 1
                    elif BLANK not in query:
                        stats.skipped_no_blank += 1
                    else:
                        items.append(ClozeItem(head, passage, query))
                    passage, start = [], no + 1
                elif head.isdigit():
                    passage.append(text.split())
                else:
                    raise ClozeFormatError(f"{path}:{no}: line label {head!r} is neither a "
                                           "sentence number nor <qid_K>")
    except UnicodeDecodeError as exc:
        raise ClozeFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") \
            from None
    if passage:
        raise ClozeFormatError(f"{path}:{start}: passage starting here has no '<qid_K> ||| query' "
                               "line (truncated file?)")
    stats.items = len(items)
    return items


def read_answers(path: str | os.PathLike) -> dict[str, str]:
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            qid, answer = _split(line, path, no)
            if not _QID.match(qid):
                raise ClozeFormatError(f"{path}:{no}: expected '<qid_K> ||| word', got "
                                       f"{line[:60]!r}")
            out[qid] = answer
    return out


def attach_answers(items: list[ClozeItem], answers: dict[str, str]) -> None:
    for item in items:
        item.answer = answers.get(item.qid)


def format_doc_query(items: Iterable[ClozeItem]) -> Iterator[str]:
    for item in items:
        for i, sent in enumerate(item.passage, 1):
            yield f"{i}{SEP}{' '.join(sent)}"
        yield f"{item.qid}{SEP}{' '.join(item.query)}"


def format_answers(pairs: Iterable[tuple[str, str]]) -> Iterator[str]:
    for qid, answer in pairs:
        yield f"{qid}{SEP}{answer}"


def write_doc_query(path: str | os.PathLike, items: Iterable[ClozeItem]) -> int:
    from zhpipe.fsutil import write_lines

    return write_lines(path, format_doc_query(items))


def write_answers(path: str | os.PathLike, pairs: Iterable[tuple[str, str]]) -> int:
    from zhpipe.fsutil import write_lines

    return write_lines(path, format_answers(pairs))


def accuracy(gold: dict[str, str], pred: dict[str, str]) -> dict:
    """Exact-match accuracy over every gold query; a missing prediction counts as wrong."""
    if not gold:
        raise ValueError("no gold answers to score against")
    correct = sum(pred.get(q) == a for q, a in gold.items())
    return {"accuracy": round(100 * correct / len(gold), 2), "correct": correct,
            "total": len(gold), "missing": sum(q not in pred for q in gold),
            "extra": sum(q not in gold for q in pred)}


def score_files(pred_path: str | os.PathLike, gold_path: str | os.PathLike) -> dict:
    return accuracy(read_answers(gold_path), read_answers(pred_path))


def item_stats(items: list[ClozeItem]) -> dict:
    """Sizes of a set of items (for the report)."""
    import numpy as np

    if not items:
        return {"items": 0}
    tokens = np.array([len(it.tokens) for it in items])
    sents = np.array([len(it.passage) for it in items])
    answers = [it.answer for it in items if it.answer]
    in_passage = sum(it.answer in set(it.tokens) for it in items if it.answer)
    return {"items": len(items), "passage_tokens_mean": round(float(tokens.mean()), 1),
            "passage_tokens_p95": int(np.percentile(tokens, 95)),
            "passage_sentences_mean": round(float(sents.mean()), 1),
            "query_tokens_mean": round(float(np.mean([len(it.query) for it in items])), 1),
            "answer_chars_mean": round(float(np.mean([len(a) for a in answers])), 2)
            if answers else 0,
            "distinct_answers": len(set(answers)),
            "answer_in_passage": round(100 * in_passage / max(len(answers), 1), 2)}


#: The training text of the cloze_items stage (one segmented sentence a line), which the
#: cloze_vectors stage learns its vectors from.
TEXT_FILE = "text.txt"


def passage_sentences(items: Iterable[ClozeItem]) -> list[list[str]]:
    """The passages' sentences (one per line in the doc_query files), without the ones holding
    the blank; a sentence repeated across passages (one story, several queries) counts once."""
    out: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for it in items:
        for sent in it.passage:
            key = tuple(sent)
            if sent and BLANK not in key and key not in seen:
                seen.add(key)
                out.append(list(sent))
    return out
