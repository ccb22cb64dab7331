"""A word dictionary as tagger features: jieba's shipped dictionary, or a user's own.

The taggers already read flags from the mined lexicon (does a lexicon word of length k start or
end here). A dictionary adds more groups of the same flags (``LexiconStack``):

* ``dict``: every dictionary word of the chosen lengths (2 to 5 characters by default);
* ``dict_ge<N>``: the same for the words the dictionary counts at least N times, one group per
  band (10 and 100 by default): a frequent word is a safer boundary than a rare one;
* for the names tagger, one group per name type, from the dictionary's part-of-speech tags in
  the 1998 corpus's scheme: ``nr*`` person (jieba's nr, nrt, nrfg), ``ns*`` place, ``nt*``
  organisation words (a gazetteer).

Why: most words that a test set holds and the training set lacks are ordinary words that a
dictionary lists. Of the PKU test set's OOV word tokens (against the 1998 training split), 68%
are in jieba's dictionary. The tagger learns from the training data how far to trust a flag, so
the dictionary's own conventions (jieba lists compounds that PKU splits) are learnt, not copied.

Provenance: jieba's ``dict.txt`` (349k words with counts and tags) comes with the jieba package.
Its sources are not published (fxsjy/jieba#896: People's Daily text and the author's own
collected text). It is an outside resource, like the pretrained embeddings behind the published
BiLSTM result, so the metrics name it and ``dictionary: none`` (train_seg, train_ner) gives the closed-track
figures (training data and the mined lexicon only).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from zhpipe.corpus.text import CorpusError, normalise, read_lines
from zhpipe.tagging.data import NER_TYPES, LexiconFlags

#: word lengths of each name type's flags: given names are short, organisations long
TYPE_LENGTHS = {"PER": (2, 3, 4), "LOC": (2, 3, 4, 5, 6), "ORG": (2, 3, 4, 5, 6, 7, 8)}


def dictionary_path(source: str) -> Path:
    """The file behind a ``<stage>.dictionary`` value: ``jieba`` is the package's dict.txt."""
    if source == "jieba":
        import jieba

        return Path(jieba.__file__).parent / "dict.txt"
    path = Path(source)
    if not path.is_file():
        raise CorpusError(f"dictionary: {source!r} is neither 'jieba', 'none' nor a "
                          "file; give a UTF-8 file of 'word [count] [tag]' lines")
    return path


def dictionary_label(source: str) -> str:
    """How the metrics name a dictionary: jieba's with the package version (not this machine's
    install path), a user's file as given."""
    if source == "jieba":
        import jieba

        return f"jieba {jieba.__version__} dict.txt"
    return source


def read_dictionary(path: str | os.PathLike) -> list[tuple[str, str, float]]:
    """``[(word, tag, count)]`` from lines of ``word [count] [tag]`` separated by spaces or tabs
    (jieba's format; a missing count is 1, a missing tag ""). Words are normalised like the
    prepared corpora. A non-UTF-8 or empty file, or a negative count, raises CorpusError naming
    the file (and line)."""
    out = []
    for no, line in read_lines(path, keep_empty=False):
        parts = line.split()
        if not parts:
            continue
        count, tag = 1.0, ""
        if len(parts) > 1:
            num = _number(parts[1])
            if num is None:  # word tag
                tag = parts[1]
            else:
                count, tag = num, parts[2] if len(parts) > 2 else ""
        if not count >= 0:
            raise CorpusError(f"{path}:{no}: the count {parts[1]!r} is negative; expected "
                              "'word [count] [tag]'")
        out.append((normalise(parts[0]), tag, count))
    if not out:
        raise CorpusError(f"{path}: the dictionary holds no words")
    return out


def _number(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


def dictionary_groups(entries: Sequence[tuple[str, str, float]], lengths: Sequence[int],
                      bands: Sequence[float] = (), names: bool = False
                      ) -> dict[str, LexiconFlags]:
    """The flag groups of a dictionary: ``dict`` (all words of ``lengths``), ``dict_ge<N>`` for
    each band N (the words counted at least N times) and, with ``names``, ``dict_PER``,
    ``dict_LOC`` and ``dict_ORG`` (words whose tag starts nr, ns or nt)."""
    groups = {"dict": LexiconFlags((w for w, _, _ in entries if len(w) > 1), lengths)}
    for band in bands:
        groups[f"dict_ge{band:g}"] = LexiconFlags(
            (w for w, _, c in entries if len(w) > 1 and c >= band), lengths)
    if names:
        by_type: dict[str, list[str]] = {t: [] for t in TYPE_LENGTHS}
        for w, tag, _ in entries:
            typ = NER_TYPES.get(tag[:2])
            if typ and len(w) > 1:
                by_type[typ].append(w)
        for typ, words in by_type.items():
            groups[f"dict_{typ}"] = LexiconFlags(words, TYPE_LENGTHS[typ])
    return groups

