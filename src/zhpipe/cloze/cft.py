"""CFT (the Children's Fairy Tale cloze items of Cui et al. 2016) as training data for the CMRC
2017 reader: its ready-made items, the stories behind them, and the removal of every sentence
that also stands in a CMRC 2017 validation passage (the validation set is only ever scored).

The prepared CFT files (``prepare@cft``) hold 4,639 items over about 10,500 distinct sentences:
several items share a story. An item's story is its passage with the blank filled in (the
``human`` file keeps the blanked sentence in the passage; the ``auto`` file puts it after the
passage only, where it is appended)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from zhpipe.cloze.data import BLANK, ClozeItem, attach_answers, read_answers, read_doc_query
from zhpipe.corpus.text import CorpusError, is_han

CFT_FILES = ("cft.auto", "cft.human")


def read_cft(folder: Path) -> list[ClozeItem]:
    """Every item of the prepared CFT files, answers attached, ``meta["file"]`` set."""
    items = []
    for name in CFT_FILES:
        doc, ans = folder / f"{name}.doc_query", folder / f"{name}.answer"
        if not doc.exists() or not ans.exists():
            raise CorpusError(f"{doc}: missing; run prepare@cft (snakemake --cores all "
                              "prepare_cft) or drop cft from cloze_items.cft")
        got = read_doc_query(doc)
        attach_answers(got, read_answers(ans))
        for it in got:
            it.meta["file"] = name
        items += [it for it in got if it.answer]
    return items


def _fill(sent: Sequence[str], answer: str) -> list[str]:
    return [answer if w == BLANK else w for w in sent]


def story(item: ClozeItem) -> list[list[str]]:
    """The item's story: its passage and query sentence with the blank filled in."""
    sents = [_fill(s, item.answer) for s in item.passage]
    query = _fill(item.query, item.answer)
    if query not in sents:
        sents.append(query)
    return sents


def key(sent: Iterable[str]) -> str:
    """A sentence's characters without the word boundaries (segmentations differ)."""
    return "".join(sent)


#: A validation sentence with fewer Chinese characters than this (a closing quote mark, 是啊！)
#: is not text that a reader could learn the answers from; it stays in the training data.
MIN_OVERLAP_CHARS = 4


def validation_sentences(doc_query: Path, answers: Path) -> set[str]:
    """Keys of every sentence of the CMRC 2017 validation passages (of at least
    ``MIN_OVERLAP_CHARS`` Chinese characters), the blanked ones both as written and filled
    with their answer."""
    items = read_doc_query(doc_query)
    attach_answers(items, read_answers(answers))
    keys = set()
    for it in items:
        for s in it.passage:
            keys.add(key(s))
            if it.answer and BLANK in s:
                keys.add(key(_fill(s, it.answer)))
    return {k for k in keys if sum(map(is_han, k)) >= MIN_OVERLAP_CHARS}


def drop_overlap(items: list[ClozeItem], banned: set[str]) -> tuple[list[ClozeItem], dict]:
    """Items without the banned sentences: an item whose query sentence is banned goes, and
    banned sentences leave the other items' passages. Returns the items and counts."""
    out, dropped_items, dropped_sents = [], 0, 0
    for it in items:
        if key(_fill(it.query, it.answer)) in banned:
            dropped_items += 1
            continue
        keep = [s for s in it.passage if key(_fill(s, it.answer)) not in banned]
        dropped_sents += len(it.passage) - len(keep)
        if not keep:
            dropped_items += 1
            continue
        it.passage = keep
        out.append(it)
    return out, {"items_dropped": dropped_items, "passage_sentences_dropped": dropped_sents}


def by_story(items: Sequence[ClozeItem]) -> dict[str, list[ClozeItem]]:
    """Items grouped by their story, in first-seen order. A story is known by its first
    sentence (filled in): items of one story in both files, or with different query sentences,
    fall into one group, so that a held-out story shares no text with the training ones."""
    groups: dict[str, list[ClozeItem]] = {}
    for it in items:
        groups.setdefault(key(story(it)[0]), []).append(it)
    return groups
