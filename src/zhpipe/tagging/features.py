"""What the two CRF tagger stages share: their input features and the 1998 POS reader.

The stages themselves are :func:`zhpipe.tagging.segmentation.run_segmenter` (``train_seg``) and
:func:`zhpipe.tagging.names.run_names` (``train_ner``).
"""

from __future__ import annotations

from pathlib import Path

from zhpipe.corpus.segmented import parse_pd1998_line
from zhpipe.tagging.data import LexiconFlags, LexiconStack, pos_to_bio
from zhpipe.tagging.params import TaggerParams

NAME_GROUPS = ("dict_PER", "dict_LOC", "dict_ORG")
#: The segmenter's tags of the names tagger's training sentences, one line of tags each.
TRAIN_TAGS = "ner_train.seg_tags.txt"


def read_pos(path: Path, limit: int | None) -> list[tuple[str, list[str], list[str]]]:
    """(characters, BIO tags, words) of each sentence of a 1998 POS file."""
    out = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line:
            tokens = parse_pd1998_line(line, f"{path}:{no}")
            out.append((*pos_to_bio(tokens), [w for w, _ in tokens]))
    return out[:limit] if limit else out


def lexicon_features(p: TaggerParams, lexicon: Path, names: bool
                     ) -> tuple[LexiconStack | None, dict | None]:
    """The flag groups a tagger reads: the mined lexicon's words, a dictionary's (by length and
    count band) and, with ``names``, its person/place/organisation words."""
    groups: dict[str, LexiconFlags] = {}
    if p.use_lexicon:
        from zhpipe.mining.lexicon_io import read_lexicon_counts

        groups["mined"] = LexiconFlags(w for w in read_lexicon_counts(lexicon) if len(w) > 1)
    info = None
    if p.dictionary != "none":
        from zhpipe.corpus.checksum import sha256_file
        from zhpipe.tagging.dictionary import (
            dictionary_groups,
            dictionary_label,
            dictionary_path,
            read_dictionary,
        )

        path = dictionary_path(p.dictionary)
        entries = read_dictionary(path)
        all_groups = dictionary_groups(entries, p.dictionary_lengths, p.dictionary_bands, names)
        name_groups = {k: all_groups.pop(k) for k in list(all_groups) if k in NAME_GROUPS}
        groups.update(all_groups)
        info = {"source": p.dictionary, "file": dictionary_label(p.dictionary),
                "sha256": sha256_file(path), "words": len(entries),
                "lengths": p.dictionary_lengths,
                "bands": {k: sum(len(ws) for ws in g.words.values())
                          for k, g in all_groups.items()},
                "name_words": {k: sum(len(ws) for ws in g.words.values())
                               for k, g in name_groups.items()}}
        groups.update(name_groups)
    return (LexiconStack(groups) if groups else None), info


def model_kw(p: TaggerParams) -> dict:
    return dict(encoder=p.encoder, filters=p.filters, dilations=tuple(p.dilations),
                char_dim=p.char_dim, bigram_dim=p.bigram_dim, dropout=p.dropout,
                unk_rate=p.unk_rate, tokens_per_batch=p.tokens_per_batch,
                learning_rate=p.learning_rate, seed=p.seed, max_len=p.max_len, ema=p.ema)


def settings(p: TaggerParams, dict_info) -> dict:
    return {"encoder": p.encoder, "lexicon_features": p.use_lexicon, "dictionary": dict_info}
