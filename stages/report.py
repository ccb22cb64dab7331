"""Stage report: reports/index.html and reports/README.md from reports/metrics/."""

import argparse
from pathlib import Path

from zhpipe import stagerun, tracking
from zhpipe.params import load_section
from zhpipe.report.build import build_report
from zhpipe.report.params import ReportParams


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("metrics_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args(argv)
    p = load_section("report", ReportParams, args.params)
    metrics = build_report(args.metrics_dir, args.out_dir, p.title, p.couplet_examples)
    out = args.out_dir
    tracking.record_stage("report", p, metrics, args.metrics_dir / "report.json",
                          artifacts=[out / "index.html", out / "README.md",
                                     out / "corpus_summary.csv", out / "plots/corpus_sizes.png"])


if __name__ == "__main__":
    stagerun.run("report", main)
