"""Stage ``cloze_items`` as a function: CMRC-style training items generated from the tagged 1998
corpus (and the user's segmented corpora, and the official training set when present), a
held-out dev slice for early stopping, the words never to be answers, and the text the reader's
own word vectors learn from."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zhpipe.cloze.data import (
    TEXT_FILE,
    attach_answers,
    item_stats,
    passage_sentences,
    read_answers,
    read_doc_query,
    write_answers,
    write_doc_query,
)
from zhpipe.cloze.generate import (
    GeneratorOptions,
    generate,
    non_answer_words,
    read_segmented,
    read_tagged,
)
from zhpipe.cloze.params import ItemsParams
from zhpipe.corpus.text import CorpusError
from zhpipe.fsutil import write_lines

TRAIN, DEV, EXCLUDE = "train", "dev", "non_answers.txt"


def read_items(folder: Path, name: str):
    """The ``name`` items of a cloze_items folder, with their answers."""
    items = read_doc_query(folder / f"{name}.doc_query")
    attach_answers(items, read_answers(folder / f"{name}.answer"))
    return items


def make_items(p: ItemsParams, pd1998: Path, cmrc: Path, out: Path) -> dict:
    """Write ``train``/``dev`` ``.doc_query`` + ``.answer``, the non-answer words and
    ``text.txt`` (the training text, one segmented sentence a line) into ``out``."""
    opts = GeneratorOptions(p.passage_sentences, p.items_per_passage, tuple(p.answer_tags),
                            p.min_answer_chars, p.skip_top_words, p.seed, p.passage_stride)
    items, metrics = [], {"train_source": p.train_source}
    tagged = [s for f in sorted(pd1998.glob("*.pos.txt")) for s in read_tagged(f)]
    exclude = non_answer_words(tagged, p.answer_tags) if p.exclude_non_answers else set()
    sources = [("pd1998", tagged)]
    for path in p.corpora:
        if not Path(path).is_file():
            raise CorpusError(f"params.yaml: cloze_items.corpora: {path}: no such file")
        sources.append((Path(path).stem, read_segmented(path)))
    official = []
    if p.train_source in ("generated", "both"):
        generated = {}
        for name, sents in sources:
            got, info = generate(sents, opts, name, never=exclude)
            items += got
            generated[name] = {**info, "items": len(got)}
        metrics["generated"] = {**item_stats(items), "sources": generated}
    if p.train_source in ("cmrc2017", "both"):
        doc_query, answers = cmrc / "train.doc_query", cmrc / "train.answer"
        if not (doc_query.exists() and answers.exists()):
            raise CorpusError(
                f"cloze_items.train_source={p.train_source} needs {doc_query} and {answers}: "
                "set download.fetch_optional: true to fetch the CMRC 2017 training set (its two "
                "zip parts, joined into train.doc_query), or use train_source: generated")
        official = read_doc_query(doc_query)
        attach_answers(official, read_answers(answers))
        items += [it for it in official if it.answer]
        metrics["cmrc2017_train_items"] = len(official)
    if len(items) <= p.dev_items:
        raise CorpusError(f"cloze_items: {len(items)} training items, not more than dev_items="
                          f"{p.dev_items}; add corpora or lower cloze_items.dev_items")
    order = np.random.default_rng(p.seed).permutation(len(items))
    dev = [items[i] for i in order[: p.dev_items]]  # early stopping: never the CMRC set
    train = [items[i] for i in order[p.dev_items:]][: p.max_train_items or None]
    for name, part in ((TRAIN, train), (DEV, dev)):
        write_doc_query(out / f"{name}.doc_query", part)
        write_answers(out / f"{name}.answer", ((it.qid, it.answer) for it in part))
    write_lines(out / EXCLUDE, sorted(exclude))
    # the text the reader's own vectors learn from: every corpus as the items cut it
    text = [[w for w, _ in s] for _, sents in sources for s in sents]
    text += passage_sentences(official)
    write_lines(out / TEXT_FILE, (" ".join(s) for s in text if s))
    metrics.update(train_items=len(train), dev_items=len(dev), excluded_words=len(exclude),
                   text_sentences=len(text))
    return metrics
