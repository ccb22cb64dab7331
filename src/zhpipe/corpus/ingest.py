"""Stage ``ingest@<name>`` as a function: a ``local:`` corpus of the catalogue (a file or a
folder of the user's own text) checked, normalised and recorded (:mod:`zhpipe.corpus.local`)."""

from __future__ import annotations

import os
from pathlib import Path

from zhpipe.corpus.catalogue import load_local
from zhpipe.corpus.local import ingest, resolve


def run_ingest(name: str, catalogue: str | os.PathLike, max_line_chars: int, out: Path
               ) -> tuple[dict, dict]:
    """Stage ``ingest@<name>``: check and normalise the files of a ``local:`` catalogue entry
    into ``out``; returns its metrics and the params its run records."""
    import time

    entry = load_local(name, catalogue)
    root = Path(catalogue).resolve().parent
    files = resolve(entry, root, name)
    t0 = time.perf_counter()
    metrics = ingest(files, out, max_line_chars, root)
    metrics["seconds"] = round(time.perf_counter() - t0, 2)
    return metrics, {"name": name, **entry.model_dump(mode="json"),
                     "max_line_chars": max_line_chars}
