"""Bench: headline model variants compared on the dev pairs (the choice is made on dev, never on
the test year): Su's LSTM seq2seq with and without his copy prior, and a Transformer, each
trained with the same data and budget (the train_title params of params.yaml, quick profile
unless --set says otherwise), then the beam's length penalty for the first variant. One JSON
line per variant: dev loss, dev ROUGE, training time and throughput.

    python bench/title_variants.py >> bench/results/title_variants.jsonl
    python bench/title_variants.py --variants transformer --set enc_layers=2 --set dec_layers=2
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

VARIANTS = {"su_prior": {"arch": "lstm", "copy_prior": True},
            "su_no_prior": {"arch": "lstm", "copy_prior": False},
            "transformer_prior": {"arch": "transformer", "copy_prior": True, "enc_layers": 2,
                                  "dec_layers": 2},
            "transformer": {"arch": "transformer", "copy_prior": False, "enc_layers": 2,
                            "dec_layers": 2}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--penalties", nargs="*", type=float, default=[0.0, 0.5, 1.0],
                    help="length penalties tried on dev with the first variant")
    ap.add_argument("--pairs", type=Path, default=ROOT / "data/prepared/xwlb")
    args = ap.parse_args()

    from zhpipe.backend import describe
    from zhpipe.headlines.experiment import load_split
    from zhpipe.headlines.params import TitleParams
    from zhpipe.headlines.rouge import rouge
    from zhpipe.headlines.train import train_titler
    from zhpipe.overrides import parse_overrides
    from zhpipe.params import load_section
    from zhpipe.seq2seq.vocab import Vocab

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    base = load_section("train_title", TitleParams, ROOT / "params.yaml").model_dump()
    over = parse_overrides(args.set, "train_title")
    for i, name in enumerate(args.variants):
        p = TitleParams.model_validate({**base, **VARIANTS[name], **over})
        split = load_split(p, args.pairs)
        train, dev = split["train"], split["dev"]
        vocab = Vocab.build((s for h, t in train for s in (h, t[:p.max_text_chars])),
                            p.min_count, p.max_vocab)
        t0 = time.perf_counter()
        model, info = train_titler(
            train, dev, vocab, max_text_chars=p.max_text_chars,
            max_title_chars=p.max_title_chars, dim=p.dim, enc_layers=p.enc_layers,
            dec_layers=p.dec_layers, heads=p.heads, dropout=p.dropout,
            copy_prior=p.copy_prior, batch_size=p.batch_size, learning_rate=p.learning_rate,
            epochs=p.epochs, patience=p.patience, seed=p.seed, arch=p.arch,
            no_repeat=p.no_repeat_ngram)
        texts, refs = [t for _, t in dev], [h for h, _ in dev]
        scores = {}
        for lp in (args.penalties if i == 0 else [p.length_penalty]):
            model.length_penalty = lp
            t1 = time.perf_counter()
            scores[str(lp)] = {**rouge(model.generate(texts, p.beam), refs),
                               "decode_ms_per_headline": round(
                                   1000 * (time.perf_counter() - t1) / len(texts), 1)}
        print(json.dumps({"bench": "title_variants", "variant": name, **describe(),
                          "command": "python bench/title_variants.py " + " ".join(sys.argv[1:]),
                          "params": {k: v for k, v in p.model_dump().items()
                                     if k in ("arch", "copy_prior", "dim", "enc_layers",
                                              "dec_layers", "max_train_pairs", "epochs",
                                              "max_text_chars", "beam",
                                              "no_repeat_ngram")},
                          "train_pairs": len(train), "dev_pairs": len(dev),
                          "dev_loss": info["best_dev_loss"], "dev_rouge_by_length_penalty": scores,
                          "train_seconds": info["train_seconds"],
                          "train_text_chars_per_sec": info["train_text_chars_per_sec"],
                          "params_count": info["params"],
                          "seconds": round(time.perf_counter() - t0)}, ensure_ascii=False),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
