"""Stage raw_text: the raw-text corpus that mining, Word2Vec and the cloze reader learn from, made
of the parts params.yaml's raw_text section lists (zhpipe.corpus.raw_text)."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.corpus.raw_text import RawTextParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--prepared", type=Path, required=True, help="the prepared corpora folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.corpus.raw_text import build

        return build(p, args.prepared, run.out(args.out))

    stagerun.run("raw_text", work, section="raw_text", model=RawTextParams, params=args.params,
                 metrics=args.metrics, outs=[args.out])


if __name__ == "__main__":
    main()
