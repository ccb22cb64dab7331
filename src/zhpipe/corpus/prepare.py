"""Turn each downloaded corpus into simple, documented text files under ``data/prepared/<name>``.

File conventions (all UTF-8, LF, normalised by :func:`zhpipe.corpus.text.normalise`):

* ``*.seg.txt`` and ``*.gold.txt``: one sentence per line, words separated by one space;
* ``*.raw.txt``: one sentence per line, no spaces;
* ``*.pos.txt``: one sentence per line, ``word/TAG`` tokens separated by one space (1998 tags,
  with names as ``nr``, places ``ns``, organisations ``nt``);
* ``<std>_test.oov.txt`` (SIGHAN 2005): one line per gold line, one ``1``/``0`` per gold word:
  out of vocabulary as the bakeoff's scorer counts it (before normalisation);
* ``*.tsv``: tab-separated pairs, no header (couplet: upper, lower; LCSTS: summary, text).

Empty lines are dropped from training corpora and kept in test sets (line i of a test file always
answers line i of its gold file). Training lines longer than ``max_line_chars`` are split at
sentence punctuation or word boundaries (never inside a word); a test line that long is an error.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from pydantic import Field

from zhpipe.corpus.text import (
    CorpusError,
    clean_raw,
    clean_segmented,
    normalise,
    read_lines,
    split_long,
)
from zhpipe.fsutil import atomic_write
from zhpipe.params import Section, validate


class FileStats:
    """Counts for one prepared file, accumulated while it is written."""

    def __init__(self, corpus: str, name: str, kind: str):
        self.corpus, self.name, self.kind = corpus, name, kind
        self.sentences = 0
        self.words = 0
        self.characters = 0
        self.vocab: Counter[str] = Counter()

    def add(self, line: str) -> None:
        self.sentences += 1
        if self.kind in ("seg", "gold", "pos"):
            words = line.split(" ") if line else []
            if self.kind == "pos":
                words = [w.rpartition("/")[0] for w in words]
            self.words += len(words)
            self.characters += sum(map(len, words))
            self.vocab.update(words)
        else:
            text = line.replace("\t", "").replace(" ", "")
            self.characters += len(text)
            self.vocab.update(text)

    def row(self) -> dict:
        seg = self.kind in ("seg", "gold", "pos")
        return {"corpus": self.corpus, "file": self.name, "kind": self.kind,
                "sentences": self.sentences, "words": self.words if seg else None,
                "characters": self.characters, "vocabulary": len(self.vocab),
                "vocabulary_of": "words" if seg else "characters"}


def write_corpus(out_dir: Path, corpus: str, name: str, kind: str, lines: Iterable[str],
                 allow_empty: bool = False) -> dict:
    stats = FileStats(corpus, name, kind)
    with atomic_write(out_dir / name) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")
            stats.add(line)
    if stats.sentences == 0 and not allow_empty:
        raise CorpusError(f"{out_dir / name}: no sentences left after preparation")
    return stats.row()


# ----------------------------------------------------------------------------- options
class Pd1998Options(Section):
    dev_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    seed: int = 1998
    block_size: int = Field(default=50, ge=1)


class LcstsOptions(Section):
    min_score: int = Field(default=3, ge=1, le=5)


class NoOptions(Section):
    pass


class PoetryOptions(Section):
    dev_fraction: float = Field(default=0.02, ge=0.0, lt=0.5)   # share of poems held out as dev
    test_fraction: float = Field(default=0.02, ge=0.0, lt=0.5)  # ... and as test
    seed: int = 618  # seed of the split (a hash of seed and poem id)


class WikiOptions(Section):
    max_articles: int | None = Field(default=None, ge=1)  # None: the whole dump
    min_chars: int = Field(default=10, ge=1)  # shorter lines (headings, stubs) are dropped


OPTIONS: dict[str, type[Section]] = {
    "pd1998": Pd1998Options, "sighan2005": NoOptions, "couplet": NoOptions,
    "cmrc2017": NoOptions, "cft": NoOptions, "ca8": NoOptions, "lcsts": LcstsOptions, "zhwiki": WikiOptions,
    "poetry": PoetryOptions,
}


class PrepareParams(Section):
    max_line_chars: int = Field(default=2000, ge=16)
    corpora: dict[str, dict] = Field(min_length=1)

    def options(self, corpus: str, path: str = "params.yaml") -> Section:
        if corpus not in OPTIONS:
            raise CorpusError(f"{path}: prepare.corpora.{corpus}: no preparer for '{corpus}' "
                              f"(known: {', '.join(sorted(OPTIONS))})")
        return validate(OPTIONS[corpus], self.corpora.get(corpus) or {},
                        f"prepare.corpora.{corpus}", path)


# ----------------------------------------------------------------------------- corpora
def parse_pd1998_line(line: str, where: str) -> list[tuple[str, str]]:
    """``迈向/v  充满/v`` -> ``[("迈向", "v"), ("充满", "v")]``, words normalised."""
    out = []
    for tok in line.split():
        word, sep, tag = tok.rpartition("/")
        if not sep or not word or not tag:
            raise CorpusError(f"{where}: token {tok!r} is not word/TAG")
        word = normalise(word)
        if word.strip() != word or not word:
            raise CorpusError(f"{where}: token {tok!r} has a space inside the word")
        out.append((word, tag))
    return out


def dev_mask(n: int, fraction: float, seed: int, block: int) -> np.ndarray:
    """Boolean mask of dev sentences: whole blocks of ``block`` consecutive sentences, chosen by a
    seeded generator, so that neighbouring sentences of one article rarely straddle the split."""
    blocks = (n + block - 1) // block
    k = int(round(fraction * blocks))
    chosen = np.zeros(blocks, dtype=bool)
    chosen[np.random.default_rng(seed).choice(blocks, size=k, replace=False)] = True
    return np.repeat(chosen, block)[:n]


def prepare_pd1998(raw: Path, out: Path, opts: Pd1998Options, max_chars: int) -> list[dict]:
    src = raw / "199801.txt"
    sentences: list[list[tuple[str, str]]] = []
    for no, line in read_lines(src, keep_empty=False):
        toks = parse_pd1998_line(line, f"{src}:{no}")
        seg = " ".join(w for w, _ in toks)
        start = 0
        for piece in split_long(seg, max_chars, segmented=True):
            n = piece.count(" ") + 1
            sentences.append(toks[start:start + n])
            start += n
    mask = dev_mask(len(sentences), opts.dev_fraction, opts.seed, opts.block_size)
    rows = []
    for split, keep in (("train", ~mask), ("dev", mask)):
        part = [s for s, k in zip(sentences, keep, strict=True) if k]
        if not part:
            continue
        rows.append(write_corpus(out, "pd1998", f"{split}.seg.txt", "seg",
                                 (" ".join(w for w, _ in s) for s in part)))
        rows.append(write_corpus(out, "pd1998", f"{split}.pos.txt", "pos",
                                 (" ".join(f"{w}/{t}" for w, t in s) for s in part)))
    rows.append(write_corpus(out, "pd1998", "raw.txt", "raw",
                             ("".join(w for w, _ in s) for s in sentences)))
    return rows


def _test_lines(path: Path, clean: Callable[[str], str], max_chars: int) -> list[str]:
    lines = []
    for no, line in read_lines(path):
        text = clean(line)
        if len(text.replace(" ", "")) > max_chars * 50:
            raise CorpusError(f"{path}:{no}: line of {len(text)} characters is absurdly long for a "
                              "test set; check the file")
        lines.append(text)
    while lines and not lines[-1]:
        lines.pop()  # a trailing empty line (PKU test has one) is not a sentence
    return lines


def _official_oov(gold: Path, words: Path, prepared: list[str]) -> list[str]:
    """One line per prepared gold line, one ``1``/``0`` per word: is the word out of vocabulary
    as the bakeoff's scorer counts it, i.e. is the *unnormalised* gold word absent from the
    unnormalised official training word list? (Normalisation turns the test set's ASCII digits
    into the training list's full-width ones, so it would hide 2.3 points of the published 5.8%
    PKU OOV rate, all of them easy number words.)"""
    vocab = {line.strip() for _, line in read_lines(words, keep_empty=False)}
    raw_words = [w for _, line in read_lines(gold) for w in line.split()]
    flags = iter([w not in vocab for w in raw_words])
    n_prepared = sum(len(line.split()) for line in prepared)
    if n_prepared != len(raw_words):
        raise CorpusError(f"{gold}: {len(raw_words)} words, but {n_prepared} after preparation; "
                          "cannot mark the official OOV words")
    return [" ".join("1" if next(flags) else "0" for _ in line.split()) for line in prepared]


def prepare_sighan2005(raw: Path, out: Path, opts: NoOptions, max_chars: int) -> list[dict]:
    rows = []
    for std in ("pku", "msr"):
        test, gold = raw / f"{std}_test.utf8", raw / f"{std}_test_gold.utf8"
        if not test.exists():
            continue
        t = _test_lines(test, clean_raw, max_chars)
        g = _test_lines(gold, clean_segmented, max_chars)
        if "".join(t) != "".join(g).replace(" ", ""):
            raise CorpusError(f"{test} and {gold}: the test text differs from the gold text with "
                              "spaces removed; the pair is inconsistent")
        rows.append(write_corpus(out, "sighan2005", f"{std}_test.raw.txt", "raw", t))
        rows.append(write_corpus(out, "sighan2005", f"{std}_test.gold.txt", "gold", g))
        words = raw / f"{std}_training_words.utf8"
        if words.exists():
            rows.append(write_corpus(out, "sighan2005", f"{std}_training_words.txt", "seg",
                                     (w for _, line in read_lines(words, keep_empty=False)
                                      if (w := clean_raw(line)))))
            rows.append(write_corpus(out, "sighan2005", f"{std}_test.oov.txt", "mask",
                                     _official_oov(gold, words, g)))
        train = raw / f"{std}_training.utf8"
        if train.exists():
            rows.append(write_corpus(out, "sighan2005", f"{std}_training.seg.txt", "seg",
                                     (p for _, line in read_lines(train, keep_empty=False)
                                      for p in split_long(clean_segmented(line), max_chars, True)
                                      if p)))
    if not rows:
        raise CorpusError(f"{raw}: no SIGHAN 2005 test files found")
    return rows


def prepare_couplet(raw: Path, out: Path, opts: NoOptions, max_chars: int) -> list[dict]:
    rows = []
    for split in ("train", "test"):
        fin, fout = raw / split / "in.txt", raw / split / "out.txt"
        pairs = []
        ins = [clean_raw(x) for _, x in read_lines(fin)]
        outs = [clean_raw(x) for _, x in read_lines(fout)]
        if len(ins) != len(outs):
            raise CorpusError(f"{fin} has {len(ins)} lines but {fout} has {len(outs)}; the "
                              "halves of the couplets are misaligned")
        dropped = 0
        for no, (a, b) in enumerate(zip(ins, outs, strict=True), 1):
            if not a and not b:
                continue
            if not a or len(a) != len(b) or len(a) > max_chars:
                if split == "test":
                    raise CorpusError(f"{fin}:{no}: test pair of unequal length or empty")
                dropped += 1
                continue
            pairs.append(f"{a}\t{b}")
        row = write_corpus(out, "couplet", f"{split}.tsv", "pairs", pairs)
        row["dropped"] = dropped
        rows.append(row)
    return rows


def prepare_cmrc2017(raw: Path, out: Path, opts: NoOptions, max_chars: int) -> list[dict]:
    rows = []
    for path in sorted(raw.rglob("*")):
        if path.suffix not in (".doc_query", ".answer") or "results" in path.parts:
            continue
        lines = []
        for no, line in read_lines(path, keep_empty=False):
            head, sep, body = line.partition("|||")
            if not sep:
                raise CorpusError(f"{path}:{no}: expected 'N ||| text' or '<qid_K> ||| text'")
            lines.append(f"{head.strip()} ||| {clean_segmented(body)}")
        kind = "doc_query" if path.suffix == ".doc_query" else "answer"
        rows.append(write_corpus(out, "cmrc2017", path.name, kind, lines))
    if not rows:
        raise CorpusError(f"{raw}: no CMRC 2017 .doc_query or .answer files found")
    return rows


def parse_cft(path: Path, name: str) -> tuple[list[str], list[str], dict]:
    """A CFT file (PD&CFT, Cui et al. 2016) in CMRC 2017's files: ``N ||| words`` lines, each
    story ending with its query line ``N ||| words with XXXXX ||| answer``. Returns the
    doc_query lines (the query line becomes ``<qid_cft_NAME_K> ||| query``), the answer lines
    and counts. A query without ``XXXXX`` or with no passage sentence before it is skipped and
    counted; a line without ``|||``, or a story cut off without its query, is an error naming
    the line."""
    doc, answers, passage = [], [], []
    stats = {"items": 0, "skipped_no_blank": 0, "skipped_empty_passage": 0,
             "answer_not_in_passage": 0}
    start = 1
    for no, line in read_lines(path, keep_empty=False):
        fields = [f.strip() for f in line.split("|||")]
        if len(fields) not in (2, 3) or not fields[0].isdigit():
            raise CorpusError(f"{path}:{no}: expected 'N ||| words' or 'N ||| query ||| answer' "
                              f"(CFT format), got {line[:60]!r}")
        text = clean_segmented(fields[1])
        if len(fields) == 2:
            passage.append(text)
            continue
        answer = clean_segmented(fields[2])
        if not passage:
            stats["skipped_empty_passage"] += 1
        elif "XXXXX" not in text.split() or not answer or " " in answer:
            stats["skipped_no_blank"] += 1
        else:
            qid = f"<qid_cft_{name}_{stats['items']}>"
            doc += [f"{i} ||| {s}" for i, s in enumerate(passage, 1)]
            doc.append(f"{qid} ||| {text}")
            answers.append(f"{qid} ||| {answer}")
            stats["items"] += 1
            stats["answer_not_in_passage"] += answer not in {w for s in passage
                                                             for w in s.split()}
        passage, start = [], no + 1
    if passage:
        raise CorpusError(f"{path}:{start}: story starting here has no query line "
                          "('N ||| words with XXXXX ||| answer'); truncated file?")
    return doc, answers, stats


def prepare_cft(raw: Path, out: Path, opts: NoOptions, max_chars: int) -> list[dict]:
    """CFT's two test files (``cft.test.auto``, ``cft.test.human``) as CMRC 2017 cloze files:
    ``cft.<name>.doc_query`` and ``cft.<name>.answer``."""
    rows = []
    for path in sorted(raw.glob("cft.test.*")):
        name = path.name.rpartition(".")[2]
        doc, answers, stats = parse_cft(path, name)
        rows.append({**write_corpus(out, "cft", f"cft.{name}.doc_query", "doc_query", doc),
                     **stats})
        rows.append(write_corpus(out, "cft", f"cft.{name}.answer", "answer", answers))
    if not rows:
        raise CorpusError(f"{raw}: no CFT files (cft.test.auto, cft.test.human) found")
    return rows


def prepare_ca8(raw: Path, out: Path, opts: NoOptions, max_chars: int) -> list[dict]:
    rows = []
    for path in sorted(raw.glob("*.txt")):
        lines = []
        for no, line in read_lines(path, keep_empty=False):
            text = clean_segmented(line)
            if not text.startswith(":") and len(text.split()) != 4:
                raise CorpusError(f"{path}:{no}: an analogy line needs 4 words, got {text!r}")
            lines.append(text)
        rows.append(write_corpus(out, "ca8", path.name, "analogy", lines))
    return rows


_DOC = re.compile(r"<doc id=(\d+)>\s*(?:<human_label>(\d)</human_label>)?\s*<summary>\s*(.*?)\s*"
                  r"</summary>\s*<short_text>\s*(.*?)\s*</short_text>\s*</doc>", re.S)


def prepare_lcsts(raw: Path, out: Path, opts: LcstsOptions, max_chars: int) -> list[dict]:
    rows = []
    for split in ("train", "val", "test"):
        path = raw / f"{split}.tsv"
        if not path.exists():
            continue
        pairs = []
        for no, line in read_lines(path, keep_empty=False):
            cols = line.split("\t")
            if len(cols) != 2:
                raise CorpusError(f"{path}:{no}: expected 'summary<TAB>text', got {len(cols)} "
                                  "columns")
            pairs.append(f"{clean_raw(cols[0])}\t{clean_raw(cols[1])}")
        rows.append(write_corpus(out, "lcsts", f"{split}.tsv", "pairs", pairs))
    part3 = raw / "PART_III.txt"
    if part3.exists():
        text = "\n".join(line for _, line in read_lines(part3))
        docs = _DOC.findall(text)
        if not docs:
            raise CorpusError(f"{part3}: no <doc> blocks found")
        keep = [f"{clean_raw(s)}\t{clean_raw(t)}" for _, score, s, t in docs
                if score and int(score) >= opts.min_score]
        rows.append(write_corpus(out, "lcsts", "part3_test.tsv", "pairs", keep))
    if not rows:
        raise CorpusError(f"{raw}: no LCSTS files found")
    return rows


def prepare_zhwiki(raw: Path, out: Path, opts: WikiOptions, max_chars: int) -> list[dict]:
    """Article text of the Wikipedia dump, simplified, one sentence per line (``raw.txt``). A
    dataset disabled in the download catalogue yields an empty ``raw.txt`` (documented)."""
    from zhpipe.corpus.wiki import extract

    dumps = sorted(raw.glob("*.xml.bz2")) + sorted(raw.glob("*.xml"))
    if not dumps:
        (out / "raw.txt").write_text("", encoding="utf-8")
        return [{"corpus": "zhwiki", "file": "raw.txt", "kind": "raw", "sentences": 0,
                 "words": None, "characters": 0, "vocabulary": 0,
                 "vocabulary_of": "characters"}]
    lines = (p for path in dumps for line in extract(path, opts.max_articles, opts.min_chars)
             for p in split_long(line, max_chars, segmented=False))
    return [write_corpus(out, "zhwiki", "raw.txt", "raw", lines)]


def prepare_poetry(raw: Path, out: Path, opts: PoetryOptions, max_chars: int) -> list[dict]:
    """Tang poems (``tang/poet.tang.*.json``) as couplets ``couplets{5,7}.{train,dev,test}.txt``
    (one ``上句，下句。`` a line) and the quatrains and regulated verses of the train split,
    ``quatrains{5,7}.txt`` and ``regulated{5,7}.txt`` (a poem a line); see :mod:`zhpipe.corpus.poetry`."""
    import opencc

    from zhpipe.corpus import poetry

    converter = opencc.OpenCC("t2s")
    files = poetry.tang_files(raw / "tang")
    ex = poetry.extract((r for f in files for r in poetry.records(f)), converter)
    rows = []
    for n in (5, 7):
        splits, dropped = poetry.couplet_splits(ex.poems, n, opts.dev_fraction,
                                                opts.test_fraction, opts.seed)
        for split, lines in splits.items():
            row = write_corpus(out, "poetry", f"couplets{n}.{split}.txt", "raw", lines)
            if split == "train":
                poems = [p for p in ex.poems if p.chars == n]
                row.update(poems=len(poems), poems_read=ex.read, **{
                    f"poems_{form}": sum(p.form == form for p in poems)
                    for form in ("quatrain", "regulated", "other")},
                    **{f"dropped_{k}": v for k, v in sorted(ex.dropped.items())})
            else:
                row["dropped_in_train"] = dropped[split]
            rows.append(row)
        for form in ("quatrain", "regulated"):
            chosen = ["".join(p.couplets()) for p in ex.poems if p.chars == n and p.form == form
                      and poetry.split_of(p.id, opts.dev_fraction, opts.test_fraction,
                                          opts.seed) == "train"]
            name = "quatrains" if form == "quatrain" else "regulated"
            rows.append(write_corpus(out, "poetry", f"{name}{n}.txt", "raw", chosen,
                                     allow_empty=True))  # for reading; no stage needs them
    return rows


PREPARERS: dict[str, Callable[[Path, Path, Section, int], list[dict]]] = {
    "pd1998": prepare_pd1998, "sighan2005": prepare_sighan2005, "couplet": prepare_couplet,
    "cmrc2017": prepare_cmrc2017, "cft": prepare_cft, "ca8": prepare_ca8, "lcsts": prepare_lcsts,
    "zhwiki": prepare_zhwiki, "poetry": prepare_poetry,
}


def run_prepare(p: PrepareParams, corpus: str, raw_dir: Path, out: Path,
                params_path: str | Path = "params.yaml") -> tuple[dict, dict]:
    """Stage ``prepare@<corpus>``: clean ``raw_dir`` into ``out``; returns its metrics and the
    params its run records (the corpus's options)."""
    import time

    opts = p.options(corpus, str(params_path))
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"{raw_dir}: not found; run the download@{corpus} stage")
    t0 = time.perf_counter()
    rows = PREPARERS[corpus](raw_dir, out, opts, p.max_line_chars)
    metrics = {
        "files": {r["file"]: {k: v for k, v in r.items() if k not in ("corpus", "file")}
                  for r in rows},
        "sentences": sum(r["sentences"] for r in rows),
        "characters": sum(r["characters"] for r in rows),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    return metrics, {"corpus": corpus, "max_line_chars": p.max_line_chars,
                     **opts.model_dump(mode="json")}
