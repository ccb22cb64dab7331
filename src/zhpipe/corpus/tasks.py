"""Preparing the task datasets: couplets, CMRC 2017 and CFT (cloze), CA8 (analogies), LCSTS
(summaries)."""

from __future__ import annotations

import re
from pathlib import Path

from zhpipe.corpus.options import LcstsOptions, NoOptions
from zhpipe.corpus.output import write_corpus
from zhpipe.corpus.text import (
    CorpusError,
    clean_raw,
    clean_segmented,
    read_lines,
)


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
