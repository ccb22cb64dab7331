"""Stage ``own_corpus@<name>`` as a function: a user's field corpus against general text: its
lexicon, its terms ranked by contrast with the general corpus, a lexicon that keeps them whole,
word vectors that know them, and how often each segmenter keeps them whole
(:mod:`zhpipe.mining.domain`)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

from zhpipe.fsutil import atomic_write
from zhpipe.mining.domain import OwnCorpusParams
from zhpipe.mining.params import MineWordsParams

log = logging.getLogger("own_corpus")


def run_own_corpus(p: OwnCorpusParams, mp: MineWordsParams, own_file: Path, general_files: list[Path],
                   general_lexicon: Path, general_segmented: Path, crf_folder: Path | None,
                   out: Path) -> dict:
    """Mine ``own_file`` (the ingested raw text) with ``mp``, rank its terms against
    ``general_files``, write the field lexicon and vectors to ``out``; return the metrics."""
    from zhpipe.corpus.text import read_lines
    from zhpipe.embeddings.gensim_w2v import train_gensim
    from zhpipe.embeddings.io import save_npz
    from zhpipe.mining.corpus_io import batches
    from zhpipe.mining.discover import mine
    from zhpipe.mining.domain import (
        field_lexicon,
        field_terms,
        kept_whole,
        lines_with,
        neighbours,
    )
    from zhpipe.mining.lexicon_io import read_lexicon_counts, show, write_lexicon
    from zhpipe.mining.segmenter import UnigramSegmenter

    seconds = {}
    t = time.perf_counter()

    def lap(step):
        nonlocal t
        now = time.perf_counter()
        seconds[step] = round(now - t, 2)
        t = now
        log.info("%s: %.1f s", step, seconds[step])

    from zhpipe.corpus.raw_text import expand

    general_files = expand(general_files)
    own = [line for _, line in read_lines(own_file, keep_empty=False)]
    own_chars = sum(map(len, own))
    lex = mine(lambda: batches([own_file], mp.batch_chars), mp)
    write_lexicon(lex, out / "lexicon.tsv")
    lap("mine")

    seg = lex.segmenter()
    general_chars = 0

    def general_batches():
        nonlocal general_chars
        for batch in batches(general_files, mp.batch_chars):
            general_chars += sum(map(len, batch))
            yield batch

    terms, target, filtered = field_terms(own, seg, general_batches(), p)
    general = read_lexicon_counts(general_lexicon)
    with atomic_write(out / "terms.tsv") as fh:
        fh.write("word\tfield_count\tgeneral_count\tlog_ratio\tin_general_lexicon\n")
        for w, ct, cb, score in terms:
            fh.write(f"{show(w)}\t{ct}\t{cb}\t{score:.4f}\t{'yes' if w in general else 'new'}\n")
    words = [r[0] for r in terms]
    with atomic_write(out / "field_words.txt") as fh:
        fh.writelines(show(w) + "\n" for w in words)
    merged = field_lexicon(general, words, target, sum(target.values()))
    with atomic_write(out / "field_lexicon.tsv") as fh:
        fh.write("word\tcount\n")
        fh.writelines(f"{show(w)}\t{c:g}\n" for w, c in sorted(merged.items(),
                                                               key=lambda kv: -kv[1]))
    lap("terms")

    before = UnigramSegmenter.from_counts(general)
    after = UnigramSegmenter.from_counts(merged)
    check = words[:p.check_terms]
    lines = lines_with(own, check, p.check_lines)
    segmenters = {"general_lexicon": before.segment_lines, "field_lexicon": after.segment_lines}
    if p.crf and crf_folder:
        from zhpipe.tagging.data import bmes_to_words
        from zhpipe.tagging.tagger import Tagger

        crf = Tagger.load(crf_folder, "seg")
        crf_field = crf.with_words(words)
        crf_forced = crf_field.keeping(words)
        for name, tagger in (("crf", crf), ("crf_field_flags", crf_field),
                             ("crf_field_constrained", crf_forced)):
            segmenters[name] = (lambda tg: lambda xs: [
                bmes_to_words(x, tags) for x, tags in zip(xs, tg.tag(xs), strict=True)])(tagger)
    whole, total = {}, 0
    for name, fn in segmenters.items():  # the same occurrences for every segmenter
        kept, total = kept_whole(fn, lines, check)
        whole[name] = round(100 * kept / total, 2) if total else None
    whole.update(terms_checked=len(check), lines=len(lines), occurrences=total)
    samples = []
    for line in sorted(lines_with(own, words[:p.report_terms], 50 * max(p.samples, 1)),
                       key=lambda x: (len(x) > 80, -sum(w in x for w in words[:10])))[:p.samples]:
        samples.append({name: " ".join(fn([line])[0]) for name, fn in segmenters.items()})
    lap("kept_whole")

    sentences = after.segment_lines(own)
    for _, line in read_lines(general_segmented, keep_empty=False):
        sentences.append(line.split())
    freq = Counter(w for s in sentences for w in s)
    vocab = sorted((w for w, c in freq.items() if c >= p.vector_min_count),
                   key=lambda w: (-freq[w], w))
    vectors, info = train_gensim(sentences, vocab, dim=p.vector_dim, window=p.vector_window,
                                 negative=5, sample=1e-4, epochs=p.vector_epochs, alpha=0.025,
                                 min_alpha=1e-4, seed=p.seed, min_count=p.vector_min_count,
                                 workers=1)
    import numpy as np

    save_npz(out / "vectors.npz", vocab, vectors, np.array([freq[w] for w in vocab]))
    near = neighbours(vocab, vectors, words[:p.neighbour_terms], p.neighbours)
    lap("vectors")

    return {
        "corpus": {"lines": len(own), "characters": own_chars, "general_characters":
                   general_chars, "general_files": [str(f) for f in general_files]},
        "lexicon": {"words": len(lex), "multi_char_words": lex.stats.get("multi_char_words")},
        "terms": {"count": len(terms), "new": sum(w not in general for w in words),
                  "filtered": filtered,
                  "top": [{"word": show(w), "field_count": ct, "general_count": cb,
                           "log_ratio": round(s, 3), "in_general_lexicon": w in general}
                          for w, ct, cb, s in terms[:p.report_terms]]},
        "kept_whole": whole,
        "samples": samples,
        "vectors": {"words": len(vocab), "dim": p.vector_dim, "sentences": len(sentences),
                    "words_per_sec": round(info["words_per_sec"]),
                    "neighbours": {show(q): [[show(w), s] for w, s in ns]
                                   for q, ns in near.items()}},
        "seconds_by_step": seconds,
        "seconds": round(sum(seconds.values()), 2),
    }
