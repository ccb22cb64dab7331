"""Stage ``cloze_items`` as a function: CMRC-style training items generated from the tagged 1998
corpus (and the user's segmented corpora, and the official training set when present), a
held-out dev slice for early stopping, the words never to be answers, and the text the reader's
own word vectors learn from."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zhpipe.cloze.cft import by_story, drop_overlap, key, read_cft, story, validation_sentences
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
    generate_passages,
    non_answer_words,
    read_segmented,
    read_tagged,
    segment_raw,
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


def make_items(p: ItemsParams, pd1998: Path, cmrc: Path, out: Path,
               cft: Path | None = None, raw_text: Path | None = None) -> dict:
    """Write ``train``/``dev`` ``.doc_query`` + ``.answer``, the non-answer words and
    ``text.txt`` (the training text, one segmented sentence a line) into ``out``.

    Every sentence that also stands in a CMRC 2017 validation passage is removed from every
    source first (the validation set is only scored). The dev items (early stopping) are the
    CFT items of held-out stories (``dev_source: cft``) or held-out generated items.

    ``raw_text``: the raw_text stage's folder; its parts named in ``raw_text_parts`` are cut by
    jieba, their sentences join the vectors' text and up to ``raw_text_items`` items (a seeded
    sample) are generated from them."""
    opts = GeneratorOptions(p.passage_sentences, p.items_per_passage, tuple(p.answer_tags),
                            p.min_answer_chars, p.skip_top_words, p.seed, p.passage_stride)
    banned = validation_sentences(cmrc / "cloze.valid.doc_query", cmrc / "cloze.valid.answer")
    items, metrics = [], {"train_source": p.train_source, "dev_source": p.dev_source,
                          "overlap_removed": {}}

    def clean(name: str, sents: list) -> list:
        keep = [s for s in sents if key(w for w, _ in s) not in banned]
        metrics["overlap_removed"][name] = {"sentences": len(sents) - len(keep)}
        return keep

    tagged = [s for f in sorted(pd1998.glob("*.pos.txt")) for s in read_tagged(f)]
    exclude = non_answer_words(tagged, p.answer_tags) if p.exclude_non_answers else set()
    sources = [("pd1998", clean("pd1998", tagged))]
    for path in p.corpora:
        if not Path(path).is_file():
            raise CorpusError(f"params.yaml: cloze_items.corpora: {path}: no such file")
        sources.append((Path(path).stem, clean(Path(path).stem, read_segmented(path))))
    capped: set[str] = set()
    if p.raw_text_parts:
        from zhpipe.corpus.raw_text import parts as raw_parts

        if raw_text is None:
            raise CorpusError("cloze_items.raw_text_parts needs the raw_text folder "
                              "(--raw-text data/raw_text)")
        manifest = {r["part"]: raw_text / r["file"] for r in raw_parts(raw_text)}
        for part in p.raw_text_parts:
            if part not in manifest:
                raise CorpusError(f"params.yaml cloze_items.raw_text_parts: {part!r} is not a "
                                  f"part of {raw_text} ({', '.join(manifest)}); add it to "
                                  "raw_text.parts or remove it here")
            name = f"raw_text:{part}"
            sources.append((name, clean(name, segment_raw([manifest[part]]))))
            capped.add(name)
    counts: dict[str, int] = {}
    official = []
    if p.train_source in ("generated", "both"):
        generated = {}
        for name, sents in sources:
            cap = p.raw_text_items if name in capped else None
            got, info = generate(sents, opts, name, never=exclude,
                                 max_passages=None if cap is None else
                                 -(-2 * cap // opts.items_per_passage))
            if name in capped and p.raw_text_items is not None and len(got) > p.raw_text_items:
                pick = np.random.default_rng(p.seed).choice(len(got), p.raw_text_items,
                                                            replace=False)
                got = [got[i] for i in sorted(pick)]
            items += got
            generated[name] = {**info, "items": len(got)}
            counts[name] = len(got)
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
        official = [it for it in official if it.answer]
        items += official
        counts["cmrc2017_train"] = len(official)

    dev: list = []
    stories: list[list[list[str]]] = []
    if p.cft or p.dev_source == "cft":
        if cft is None:
            raise CorpusError("cloze_items.cft or dev_source: cft needs the prepared CFT "
                              "folder (--cft data/prepared/cft)")
        cft_items, removed = drop_overlap(read_cft(cft), banned)
        metrics["overlap_removed"]["cft"] = removed
        groups = list(by_story(cft_items).values())
        order = np.random.default_rng(p.seed).permutation(len(groups))
        train_groups = []
        for g in (groups[i] for i in order):
            if p.dev_source == "cft" and len(dev) < p.dev_items:
                dev += g  # a whole story at a time: no held-out story is trained on
            else:
                train_groups.append(g)
        metrics["cft"] = {"items": len(cft_items), "stories": len(groups),
                          "dev_stories": len(groups) - len(train_groups)}
        stories = [story(g[0]) for g in train_groups]
        if "items" in p.cft:
            ready = [it for g in train_groups for it in g]
            items += ready
            counts["cft_items"] = len(ready)
        if "generated" in p.cft:
            story_opts = GeneratorOptions(
                items_per_passage=p.cft_items_per_story, answer_tags=tuple(p.answer_tags),
                min_answer_chars=p.min_answer_chars, skip_top_words=p.skip_top_words,
                seed=p.seed)
            got, info = generate_passages([[[(w, None) for w in s] for s in st]
                                           for st in stories], story_opts, "cft", exclude)
            items += got
            counts["cft_generated"] = len(got)
            metrics["cft"]["generated"] = {**info, **item_stats(got)}
    if p.dev_source == "generated":
        if len(items) <= p.dev_items:
            raise CorpusError(f"cloze_items: {len(items)} training items, not more than "
                              f"dev_items={p.dev_items}; add corpora or lower dev_items")
        order = np.random.default_rng(p.seed).permutation(len(items))
        dev = [items[i] for i in order[: p.dev_items]]  # early stopping: never the CMRC set
        items = [items[i] for i in order[p.dev_items:]]
    else:
        items = [items[i] for i in np.random.default_rng(p.seed).permutation(len(items))]
    if not items:
        raise CorpusError("cloze_items: no training items; check cloze_items.train_source "
                          "and cloze_items.cft")
    train = items[: p.max_train_items or None]
    for name, part in ((TRAIN, train), (DEV, dev)):
        write_doc_query(out / f"{name}.doc_query", part)
        write_answers(out / f"{name}.answer", ((it.qid, it.answer) for it in part))
    write_lines(out / EXCLUDE, sorted(exclude))
    # the text the reader's own vectors learn from: every corpus as the items cut it, and the
    # training stories (never a held-out one, never a CMRC validation sentence)
    text = [[w for w, _ in s] for _, sents in sources for s in sents]
    text += passage_sentences(official) + [s for st in stories for s in st]
    write_lines(out / TEXT_FILE, (" ".join(s) for s in text if s))
    metrics.update(train_items=len(train), dev_items=len(dev), items_by_source=counts,
                   excluded_words=len(exclude), text_sentences=len(text))
    return metrics
