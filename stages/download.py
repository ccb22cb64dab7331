"""Stage download@<dataset>: fetch one catalogue dataset into data/raw/<dataset> and verify it."""

import argparse
import sys
import time
from pathlib import Path

from zhpipe import stagerun, tracking
from zhpipe.corpus.catalogue import DEFAULT_CATALOGUE, DownloadParams, load_catalogue
from zhpipe.corpus.download import Settings, fetch_dataset
from zhpipe.params import ParamsError, load_section


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dataset")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("metrics", type=Path)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--catalogue", default=DEFAULT_CATALOGUE)
    args = ap.parse_args(argv)

    p = load_section("download", DownloadParams, args.params)
    catalogue = load_catalogue(args.catalogue, p, args.params)
    if args.dataset not in catalogue:
        raise ParamsError(f"{args.catalogue}: catalogue has no dataset '{args.dataset}' "
                          f"(known: {', '.join(sorted(catalogue))})")
    ds = catalogue[args.dataset]
    settings = Settings.from_params(p)
    t0 = time.perf_counter()
    manifest = fetch_dataset(args.dataset, ds, args.out_dir, settings)
    files = manifest["files"].values()
    metrics = {
        "files": len(manifest["files"]),
        "bytes": sum(f["bytes"] for f in files),
        "verified_files": sum(f["verified"] != "unverified" for f in files),
        "unverified_files": sum(f["verified"] == "unverified" for f in files),
        "missing_optional_files": len(manifest["missing_optional"]),
        "from_mirror": manifest["origin"] == "mirror",
        "mirror_identical_to_upstream": (manifest["archive"] or {}).get(
            "identical_to_upstream", True),
        "warnings": len(settings.warnings),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    params = {"dataset": args.dataset, **ds.model_dump(mode="json"),
              "mirror": str(settings.mirror) if settings.mirror else None,
              "fetch_optional": p.fetch_optional, "retries": p.retries}
    tracking.record_stage(f"download@{args.dataset}", params, metrics, args.metrics,
                          artifacts=[args.out_dir / "MANIFEST.json"])


if __name__ == "__main__":
    stagerun.run(f"download@{sys.argv[1] if len(sys.argv) > 1 else '?'}", main)
