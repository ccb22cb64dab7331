"""Stage report: reports/index.html and reports/README.md from reports/metrics/."""

import argparse
from pathlib import Path

from zhpipe import stagerun
from zhpipe.report.params import ReportParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("metrics_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--full", type=Path, help="full-profile bench lines "
                    "(bench/results/full_text.jsonl), shown beside this run's figures")
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)

    def work(p, run):
        from zhpipe.report.build import build_report

        return build_report(args.metrics_dir, args.out_dir, p.title, p.couplet_examples,
                            args.full)

    out = args.out_dir
    stagerun.run("report", work, section="report", model=ReportParams, params=args.params,
                 metrics=args.metrics_dir / "report.json",
                 artifacts=[out / "index.html", out / "README.md", out / "corpus_summary.csv",
                            out / "plots/corpus_sizes.png"])


if __name__ == "__main__":
    main()
