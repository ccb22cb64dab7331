"""Stage ingest@<name>: a user's own corpus (catalogue.yaml ``local.<name>``) checked, normalised
and recorded into data/prepared/own/<name>/ (raw.txt, MANIFEST.json)."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.corpus.options import PrepareParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("name")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("metrics", type=Path)
    ap.add_argument("--catalogue", default="catalogue.yaml")
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.corpus.ingest import run_ingest

        metrics, run.params = run_ingest(args.name, args.catalogue, p.max_line_chars,
                                         run.out(args.out_dir))
        return metrics

    stagerun.run(f"ingest@{args.name}", work, section="prepare", model=PrepareParams,
                 params=args.params, metrics=args.metrics, outs=[args.out_dir])


if __name__ == "__main__":
    main()
