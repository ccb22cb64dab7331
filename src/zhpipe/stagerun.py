"""Glue shared by the stage entry points in ``stages/``: logging and clean error exits."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from zhpipe.cloze.data import ClozeFormatError
from zhpipe.corpus.download import DownloadError
from zhpipe.corpus.extract import CorruptArchive, UnsafeArchive
from zhpipe.corpus.text import CorpusError
from zhpipe.couplet.data import CoupletError
from zhpipe.embeddings.vocab import EmbeddingError
from zhpipe.params import ParamsError

#: Errors that carry a complete message for the user: printed without a traceback.
USER_ERRORS = (ParamsError, DownloadError, CorpusError, CorruptArchive, UnsafeArchive,
               EmbeddingError, CoupletError, ClozeFormatError, FileNotFoundError)


def run(stage: str, main: Callable[[list[str] | None], None]) -> None:
    """Run a stage's ``main`` with logging set up; user errors exit 2 with the message only."""
    logging.basicConfig(level=logging.INFO, format=f"[{stage}] %(levelname)s %(message)s",
                        stream=sys.stderr)
    for noisy in ("urllib3", "alembic", "mlflow", "git", "matplotlib", "gensim", "smart_open"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        main(None)
    except USER_ERRORS as exc:
        print(f"[{stage}] error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"[{stage}] interrupted; no partial output was left behind", file=sys.stderr)
        sys.exit(130)
