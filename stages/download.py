"""Stage download@<dataset>: fetch one catalogue dataset into data/raw/<dataset> and verify it."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.corpus.catalogue import DEFAULT_CATALOGUE, DownloadParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dataset")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("metrics", type=Path)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--catalogue", default=DEFAULT_CATALOGUE)
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.corpus.download import run_download

        metrics, run.params = run_download(p, args.dataset, args.catalogue, args.params,
                                           args.out_dir)
        return metrics

    stagerun.run(f"download@{args.dataset}", work, section="download", model=DownloadParams,
                 params=args.params, metrics=args.metrics,
                 artifacts=[args.out_dir / "MANIFEST.json"])


if __name__ == "__main__":
    main()
