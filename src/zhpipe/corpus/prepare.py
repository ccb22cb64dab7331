"""Turn each downloaded corpus into simple, documented text files under ``data/prepared/<name>``.

File conventions (all UTF-8, LF, normalised by :func:`zhpipe.corpus.text.normalise`):

* ``*.seg.txt`` and ``*.gold.txt``: one sentence per line, words separated by one space;
* ``*.raw.txt``: one sentence per line, no spaces;
* ``*.pos.txt``: one sentence per line, ``word/TAG`` tokens separated by one space (1998 tags,
  with names as ``nr``, places ``ns``, organisations ``nt``);
* ``<std>_test.oov.txt`` (SIGHAN 2005): one line per gold line, one ``1``/``0`` per gold word:
  out of vocabulary as the bakeoff's scorer counts it (before normalisation);
* ``*.tsv``: tab-separated pairs, no header (couplet: upper, lower; LCSTS: summary, text;
  xwlb: headline, text, with ``<split>.dates.txt`` beside: :mod:`zhpipe.corpus.xwlb`).

Empty lines are dropped from training corpora and kept in test sets (line i of a test file always
answers line i of its gold file). Training lines longer than ``max_line_chars`` are split at
sentence punctuation or word boundaries (never inside a word); a test line that long is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from zhpipe.corpus.general import prepare_poetry, prepare_zhwiki
from zhpipe.corpus.options import PrepareParams
from zhpipe.corpus.segmented import prepare_pd1998, prepare_sighan2005
from zhpipe.corpus.tasks import (
    prepare_ca8,
    prepare_cft,
    prepare_cmrc2017,
    prepare_couplet,
    prepare_lcsts,
)
from zhpipe.corpus.xwlb import prepare_xwlb
from zhpipe.params import Section

PREPARERS: dict[str, Callable[[Path, Path, Section, int], list[dict]]] = {
    "pd1998": prepare_pd1998, "sighan2005": prepare_sighan2005, "couplet": prepare_couplet,
    "cmrc2017": prepare_cmrc2017, "cft": prepare_cft, "ca8": prepare_ca8, "lcsts": prepare_lcsts,
    "zhwiki": prepare_zhwiki, "poetry": prepare_poetry, "xwlb": prepare_xwlb,
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
