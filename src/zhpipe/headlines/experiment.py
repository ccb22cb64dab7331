"""The headline experiment of the ``train_title`` stage: train on the earlier pairs, choose on
dev, score the model and every trivial baseline on the later test pairs (and on LCSTS PART III,
a second domain the model never trained on)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from zhpipe.callbacks import Callback, named
from zhpipe.corpus.text import CorpusError
from zhpipe.headlines.baselines import Retrieval, lead_baselines
from zhpipe.headlines.data import read_pairs
from zhpipe.headlines.params import TitleParams
from zhpipe.headlines.rouge import rouge
from zhpipe.headlines.train import Titler, train_titler
from zhpipe.seq2seq.vocab import Vocab

log = logging.getLogger(__name__)
#: Test pairs shown in the report with the model's and the baselines' headlines.
EXAMPLES = 20


def load_split(p: TitleParams, folder: Path) -> dict[str, list[tuple[str, str]]]:
    """train/dev/test pairs of a prepared folder; training headlines longer than
    ``max_title_chars`` are dropped, and ``max_train_pairs`` keeps the latest ones."""
    split = {name: read_pairs(folder / f"{name}.tsv") for name in ("train", "dev", "test")}
    train = [(h, t) for h, t in split["train"] if len(h) <= p.max_title_chars]
    if p.max_train_pairs:
        train = train[-p.max_train_pairs:]  # files are in date order: the latest are closest
    if len(train) < 2:
        raise CorpusError(f"{folder / 'train.tsv'}: {len(train)} usable training pairs")
    split["train"] = train
    return split


def score_all(outputs: dict[str, list[str]], refs: Sequence[str]) -> dict[str, dict]:
    return {name: rouge(hyps, refs) for name, hyps in outputs.items()}


def copied_share(outputs: Sequence[str], train_headlines: set[str]) -> float:
    """Share (%) of outputs that are, verbatim, a training headline."""
    return round(100 * sum(o in train_headlines for o in outputs) / max(len(outputs), 1), 2)


def evaluate(model: Titler, pairs: Sequence[tuple[str, str]], train, retrieval: Retrieval,
             p: TitleParams, beam: int, name: str) -> tuple[dict, dict[str, list[str]]]:
    """Model and baselines on ``pairs``: ROUGE of each, copied shares, decoding speed."""
    refs = [h for h, _ in pairs]
    texts = [t for _, t in pairs]
    mean_len = round(sum(len(h) for h, _ in train) / len(train))
    outputs = {}
    model.generate(texts[:64], beam)  # warm up (the encoder's first call builds its graph)
    t0 = time.perf_counter()
    outputs["model"] = model.generate(texts, beam, label=f"headlines for {name}")
    seconds = time.perf_counter() - t0
    outputs.update(lead_baselines(texts, p.lead_chars))
    if mean_len != p.lead_chars:
        outputs.update({k: v for k, v in lead_baselines(texts, mean_len).items()
                        if k.endswith("_chars")})
    outputs["retrieval"] = retrieval(texts)
    heads = {h for h, _ in train}
    scores = score_all(outputs, refs)
    return {"pairs": len(pairs), "rouge": scores,
            "copied_from_train": {k: copied_share(outputs[k], heads)
                                  for k in ("model", "retrieval")},
            "decode_ms_per_headline": round(1000 * seconds / len(texts), 2),
            "beam": beam, "truncated_texts": len(model.truncated(texts))}, outputs


def run_train_title(p: TitleParams, xwlb: Path, out: Path | None = None,
                    lcsts: Path | None = None, callbacks: Sequence[Callback] = ()) -> dict:
    """Train on ``xwlb/train.tsv`` (early stopping on ``dev.tsv``), score on ``test.tsv`` and,
    when given, LCSTS PART III (``lcsts/part3_test.tsv``); the model goes to ``out``."""
    split = load_split(p, xwlb)
    train, dev, test = split["train"], split["dev"], split["test"]
    vocab = Vocab.build((s for h, t in train for s in (h, t[:p.max_text_chars])), p.min_count,
                        p.max_vocab)
    log.info("%d training pairs, %d dev, %d test; %d characters", len(train), len(dev),
             len(test), len(vocab))
    model, info = train_titler(
        train, dev, vocab, max_text_chars=p.max_text_chars, max_title_chars=p.max_title_chars,
        dim=p.dim, enc_layers=p.enc_layers, dec_layers=p.dec_layers, heads=p.heads,
        dropout=p.dropout, copy_prior=p.copy_prior, batch_size=p.batch_size,
        learning_rate=p.learning_rate, epochs=p.epochs, patience=p.patience, seed=p.seed,
        length_penalty=p.length_penalty, no_repeat=p.no_repeat_ngram, arch=p.arch,
        max_seconds=p.max_minutes * 60 if p.max_minutes else None,
        callbacks=named("titler", callbacks))
    if out is not None:
        model.save(out)
    retrieval = Retrieval([t for _, t in train], [h for h, _ in train], p.retrieval_chars)
    metrics = {"model": {k: getattr(p, k) for k in (
                   "arch", "dim", "enc_layers", "dec_layers", "copy_prior", "max_text_chars",
                   "beam", "length_penalty", "no_repeat_ngram")},
               "train_pairs": len(train), "dev_pairs": len(dev), "vocab": len(vocab),
               "unknown_chars_test": round(100 * vocab.unknown_rate(
                   h for h, _ in test), 2), "train": info}
    metrics["dev"] = {"rouge": rouge(model.generate([t for _, t in dev], p.beam,
                                                    label="headlines for dev"),
                                     [h for h, _ in dev])}
    metrics["test"], outputs = evaluate(model, test, train, retrieval, p, p.beam, "test")
    step = max(len(test) // EXAMPLES, 1)
    metrics["examples"] = [{"text": test[i][1][:60], "reference": test[i][0],
                            **{k: outputs[k][i] for k in ("model", "first_sentence",
                                                          "retrieval")}}
                           for i in range(0, len(test), step)][:EXAMPLES]
    if lcsts is not None:
        part3 = read_pairs(lcsts / "part3_test.tsv")
        metrics["lcsts_part3"], _ = evaluate(model, part3, train, retrieval, p, p.beam,
                                             "LCSTS PART III")
    return metrics
