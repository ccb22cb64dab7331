"""Bench: the couplet models at full scale: every training pair, several passes, the test set.

Trains the chosen models with the ``train_couplet`` params of params.yaml (``--set`` overrides
any of them) on all the usable training pairs (the 2,000-pair dev slice held out for early
stopping), scores them on the 4,000 test pairs beside the floors (lookup table, memorised line)
computed from the same pairs, and prints one JSON line: every BLEU variant, the constraint
rates, throughput, the training curve and 20 example couplets. Models go to ``--out`` (default
data/couplet_full).

    python bench/couplet_full.py --models seq2seq --epochs 3 --patience 1

Training and scoring can run on different machines (training on a GPU, whose machine may be
lent for minutes only; scoring, which decodes on the CPU, at home):

    python bench/couplet_full.py --train-only --max-minutes 4 --out /tmp/models   # on the GPU
    python bench/couplet_full.py --score-saved /tmp/models                         # here

``--train-only`` writes the models and ``train_info.json`` (the params, the backend and device,
the training curves); ``--score-saved`` rebuilds the same split from those params, loads the
models (any backend) and scores them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

KEEP = ("bleu", "bleu_1", "bleu_2", "sentence_bleu_4", "exact_match", "length_match",
        "punct_alignment", "repetition_agreement", "copy_rate", "form", "form_length_punct",
        "form_tone_end", "form_tone_even", "form_boundaries", "form_pos", "form_repetition",
        "seen", "novel", "best_dev_loss", "train_pairs_per_sec", "steady_pairs_per_sec",
        "train_seconds", "latency_ms_beam", "decode_beam", "form_weight", "history",
        "stopped_by_time", "params")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["transformer"],
                    choices=["transformer", "seq2seq", "tagger"])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--patience", type=int, default=1)
    ap.add_argument("--max-train", type=int, help="default: every training pair")
    ap.add_argument("--max-minutes", type=float, nargs="+",
                    help="training time budget per model, in --models order (one value: each)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a train_couplet param, e.g. --set dim=256")
    ap.add_argument("--form-weight", type=float,
                    help="rerank weight to decode with (default: the params' train_couplet."
                    "form_weight; with --score-saved, the one the models were saved with)")
    ap.add_argument("--couplet", type=Path, default=ROOT / "data/prepared/couplet")
    ap.add_argument("--out", type=Path, default=ROOT / "data/couplet_full")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--train-only", action="store_true",
                      help="train and save the models and train_info.json; score nothing")
    mode.add_argument("--score-saved", type=Path, metavar="DIR",
                      help="score the models that --train-only saved in DIR")
    args = ap.parse_args()

    import logging

    from zhpipe.couplet.params import CoupletParams
    from zhpipe.overrides import parse_overrides
    from zhpipe.params import load_section

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not (args.couplet / "train.tsv").exists():
        print(f"{args.couplet}/train.tsv missing: run the pipeline first", file=sys.stderr)
        return 2
    trained = None
    if args.score_saved:
        trained = json.loads((args.score_saved / "train_info.json").read_text(encoding="utf-8"))
        p = CoupletParams.model_validate(trained["params"])
        kinds = tuple(trained["models"])
    else:
        base = load_section("train_couplet", CoupletParams, ROOT / "params.yaml")
        over = parse_overrides(args.set, "train_couplet")
        p = base.model_copy(update={"max_train_pairs": args.max_train, "epochs": args.epochs,
                                    "patience": args.patience, **over})
        if args.form_weight is not None:
            over["form_weight"] = args.form_weight
        p = CoupletParams.model_validate({**p.model_dump(), **over})  # the overrides validated
        kinds = tuple(args.models)
    minutes = args.max_minutes or [None]
    if len(minutes) == 1:
        minutes = minutes * len(kinds)
    if len(minutes) != len(kinds):
        raise SystemExit("--max-minutes: one value, or one per model")
    budgets = {k: m and m * 60 for k, m in zip(kinds, minutes, strict=True)}

    from zhpipe.backend import describe
    from zhpipe.couplet.experiment import (
        base_metrics,
        examples,
        score_model,
        split_pairs,
        train_kind,
    )
    from zhpipe.couplet.train import Couplet
    from zhpipe.fsutil import write_json

    t0 = time.perf_counter()
    split = split_pairs(p, args.couplet)
    row = {"bench": "couplet_full", **describe(), "train_pairs": len(split.train),
           "test_pairs": len(split.test), "epochs_max": p.epochs, "patience": p.patience,
           "dim": p.dim, "tokens_per_batch": p.tokens_per_batch,
           "learning_rate": p.learning_rate}
    infos, models = {}, {}
    if trained is not None:
        row["trained_on"] = {k: trained[k] for k in ("backend", "device")}
        infos = trained["info"]
        models = {kind: Couplet.load(args.score_saved, kind) for kind in kinds}
        for model in models.values():
            if args.form_weight is not None:
                model.form_weight = args.form_weight
    else:
        for kind in kinds:
            models[kind], infos[kind] = train_kind(p, kind, split, budgets[kind])
            models[kind].save(args.out)
            print(json.dumps({"trained": kind, **{k: infos[kind][k] for k in KEEP
                                                   if k in infos[kind]}},
                             ensure_ascii=False), flush=True)
        write_json(args.out / "train_info.json",
                   {"params": p.model_dump(), "models": list(kinds), "info": infos,
                    **describe()})
    if args.train_only:
        row.update({k: {x: infos[k][x] for x in KEEP if x in infos[k]} for k in kinds})
    else:
        m = base_metrics(p, split)
        outputs = {}
        for kind in kinds:
            outputs[kind], scores = score_model(models[kind], split, p.beam)
            row[kind] = {x: {**scores, **infos[kind]}.get(x) for x in KEEP}
        row["floors"] = {k: {x: v.get(x) for x in KEEP if x in v}
                         for k, v in m["floors"].items()}
        row["examples"] = examples(split, outputs)[:20]
    row["wall_s"] = round(time.perf_counter() - t0)
    row["command"] = "python bench/couplet_full.py " + " ".join(sys.argv[1:])
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
