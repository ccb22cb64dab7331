"""Bench: where a couplet training step's time goes, on the current Keras backend.

The same train step (fixed batch shape 146 x 7, the quick profile's 1,024 tokens of 7-character
lines) timed with the full output layer (4,612 characters), with a 64-character one (what the
output softmax costs) and with one convolution block instead of four (what three blocks cost).
One JSON line per model and variant; steady state (20 warm-up steps, then 150 timed).

    python bench/couplet_profile.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    import keras
    import numpy as np

    from zhpipe.backend import describe
    from zhpipe.couplet.models import build_seq2seq, build_tagger, shift_right

    rng = np.random.default_rng(0)
    for kind, build in (("tagger", build_tagger), ("seq2seq", build_seq2seq)):
        for variant, vocab, dilations in (("full", 4612, (1, 2, 4, 1)),
                                          ("output 64 characters", 64, (1, 2, 4, 1)),
                                          ("one conv block", 4612, (1,))):
            model = build(vocab, dim=128, dilations=dilations, dropout=0.1)
            model.compile(optimizer=keras.optimizers.Adam(0.002),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            up = rng.integers(3, vocab, (146, 7)).astype("int32")
            lo = rng.integers(3, vocab, (146, 7)).astype("int32")
            x = up if kind == "tagger" else [up, shift_right(lo)]
            for _ in range(20):
                model.train_on_batch(x, lo)
            t0 = time.perf_counter()
            for _ in range(150):
                model.train_on_batch(x, lo)
            step = (time.perf_counter() - t0) / 150
            print(json.dumps({"bench": "couplet_profile", "model": kind, "variant": variant,
                              **describe(), "ms_per_step": round(step * 1000, 1),
                              "pairs_per_sec": round(146 / step)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
