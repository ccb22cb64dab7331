"""Su Jianlin's CNN + VAE poem writer (基于CNN和VAE的作诗机器人, kexue.fm/archives/5332).

A couplet of two ``n``-character lines is ``2n`` character ids (punctuation is implied by the
form). The encoder embeds them, runs residual gated convolutions (kernel 3) and averages over
positions into the mean and log-variance of a Gaussian latent; the decoder maps a latent vector
to a ``2n x dim`` sequence with one dense layer, runs a gated convolution and predicts every
position's character at once. A new couplet is decoded from ``z ~ N(0, I)``.

The loss per couplet is the summed cross-entropy of its ``2n`` characters plus ``beta`` times
the KL divergence; ``beta`` rises linearly from 0 to 1 over ``kl_warmup_steps`` (KL annealing),
and ``free_bits`` floors each dimension's KL (Kingma et al. 2016) so that the latent cannot
collapse to the prior. The gated convolution is zhpipe's highway form (``x(1-g) + h g``),
where Su's adds ``h g`` to ``x``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
from keras import ops

import zhpipe.layers  # noqa: F401  (registers the custom layers for loading)
from zhpipe.callbacks import Callback, epoch_end
from zhpipe.couplet.data import CharVocab
from zhpipe.earlystop import EarlyStopping
from zhpipe.layers import GatedConv1D, GaussianSample
from zhpipe.progress import progress

log = logging.getLogger(__name__)


def build(vocab_size: int, length: int, *, dim: int = 64, latent: int = 64,
          encoder_convs: int = 2, decoder_convs: int = 1, dropout: float = 0.0,
          free_bits: float = 0.0, seed: int = 1
          ) -> tuple[keras.Model, keras.Model, keras.Model]:
    """``(encoder, decoder, trainer)``: ids -> [mean, log_var]; z -> logits; and the training
    model ``[ids, beta] -> [logits, beta * KL]`` (KL summed over dimensions, each floored at
    ``free_bits``), compiled with :func:`recon_loss` and :func:`identity_loss`."""
    ids = keras.Input((length,), dtype="int32", name="ids")
    h = keras.layers.Embedding(vocab_size, dim, name="embed")(ids)
    for i in range(encoder_convs):
        h = GatedConv1D(dim, 3, dropout=dropout, name=f"enc_conv{i}")(h)
    h = keras.layers.GlobalAveragePooling1D(name="pool")(h)
    mean = keras.layers.Dense(latent, name="z_mean")(h)
    log_var = keras.layers.Dense(latent, name="z_log_var")(h)
    encoder = keras.Model(ids, [mean, log_var], name="encoder")

    z = keras.Input((latent,), name="z")
    g = keras.layers.Dense(length * dim, name="dec_dense")(z)
    g = keras.layers.Reshape((length, dim), name="dec_reshape")(g)
    for i in range(decoder_convs):
        g = GatedConv1D(dim, 3, dropout=dropout, name=f"dec_conv{i}")(g)
    logits = keras.layers.Dense(vocab_size, name="logits")(g)
    decoder = keras.Model(z, logits, name="decoder")

    t_ids = keras.Input((length,), dtype="int32", name="ids")
    beta = keras.Input((1,), name="beta")
    m, lv = encoder(t_ids)
    zz, kl = GaussianSample(seed=seed, name="sample")([m, lv])
    kl_term = beta[:, 0] * ops.sum(ops.maximum(kl, free_bits), axis=-1)
    trainer = keras.Model([t_ids, beta], [decoder(zz), kl_term], name="poem_vae")
    return encoder, decoder, trainer


def recon_loss(y_true, y_pred):
    """Cross-entropy summed over a couplet's positions (nats per couplet)."""
    return ops.sum(keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True),
                   axis=-1)


def identity_loss(y_true, y_pred):
    """The model's own output (the weighted KL term) as the loss."""
    return y_pred


class PoemWriter:
    """A trained poem VAE for ``chars``-character couplets, with its vocabulary and its decoding
    settings (``decoding``: the keyword arguments of :meth:`decode`, saved with the model)."""

    def __init__(self, encoder: keras.Model, decoder: keras.Model, vocab: CharVocab, chars: int,
                 decoding: dict | None = None):
        self.encoder, self.decoder, self.vocab, self.chars = encoder, decoder, vocab, chars
        self.latent = int(decoder.inputs[0].shape[-1])
        self._banned = ~vocab.free_ok  # specials and punctuation are never written
        self.decoding = dict(decoding or {})
        self._char_tones: np.ndarray | None = None

    @property
    def char_tones(self) -> np.ndarray:
        """Per vocabulary id: 1 level, 2 oblique, 0 unknown or not a character (the reading
        of the character alone)."""
        if self._char_tones is None:
            from zhpipe.couplet.form import LEVEL, OBLIQUE, tones

            code = {LEVEL: 1, OBLIQUE: 2}
            self._char_tones = np.array([code.get(tones(c), 0) if ok else 0
                                         for c, ok in zip(self.vocab.chars, self.vocab.free_ok,
                                                          strict=True)], np.int8)
        return self._char_tones

    # ------------------------------------------------------------------------ using it
    def encode(self, couplets: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance of each couplet (``上句，下句。``)."""
        ids = np.stack([self.vocab.encode(strip(c, self.chars)) for c in couplets])
        mean, log_var = self.encoder.predict(ids, verbose=0, batch_size=512)
        return np.asarray(mean), np.asarray(log_var)

    def decode(self, z: np.ndarray, temperature: float | None = None,
               rng: np.random.Generator | None = None, rules: bool | None = None,
               tone_pattern: bool | None = None) -> list[str]:
        """Couplets from latent vectors. Each argument left None takes the writer's saved
        setting (:attr:`decoding`), else Su's plain decoding:

        * ``temperature``: 0, the likeliest character per position (as Su decodes); above 0, a
          sample at that temperature;
        * ``rules``: positions are filled left to right and no character is written twice in
          a couplet (neither doubled within a line nor repeated by the other line);
        * ``tone_pattern`` (with ``rules``): the couplet keeps one of the four legal tone
          patterns of regulated verse at its fixed positions (:mod:`zhpipe.poem.form`), the
          one that best fits what the model would write unconstrained.
        """
        settings = {"temperature": 0.0, "rules": False, "tone_pattern": False, **self.decoding}
        temperature = settings["temperature"] if temperature is None else temperature
        rules = settings["rules"] if rules is None else rules
        tone_pattern = settings["tone_pattern"] if tone_pattern is None else tone_pattern
        logits = np.asarray(self.decoder.predict(np.asarray(z, np.float32), verbose=0,
                                                 batch_size=512), np.float64)
        logits[..., self._banned] = -np.inf
        rng = rng or np.random.default_rng()
        if rules:
            ids = self._decode_by_rules(logits, temperature, rng, tone_pattern)
        else:
            if temperature > 0:  # Gumbel-max: argmax of logits/T plus Gumbel noise samples softmax(logits/T)
                logits = logits / temperature + rng.gumbel(size=logits.shape)
            ids = logits.argmax(-1)
        n = self.chars
        out = []
        for row in ids:
            text = "".join(self.vocab.chars[i] for i in row)
            out.append(f"{text[:n]}，{text[n:]}。")
        return out

    def _decode_by_rules(self, logits: np.ndarray, temperature: float,
                         rng: np.random.Generator, tone_pattern: bool) -> np.ndarray:
        from zhpipe.poem.form import pattern_codes

        rows, length, _ = logits.shape
        want = np.zeros((rows, length), np.int8)  # 0: any tone
        tone = self.char_tones
        if tone_pattern:
            pats = pattern_codes(self.chars)  # (P, 2n): 1 level, 2 oblique, 0 free
            free_choice = tone[logits.argmax(-1)]  # the tones the model would write
            fit = ((free_choice[:, None, :] == pats[None]) & (pats[None] > 0)).sum(-1)
            want = pats[fit.argmax(1)]
        used = np.zeros((rows, logits.shape[2]), bool)
        ids = np.zeros((rows, length), np.int64)
        every = np.arange(rows)
        for t in range(length):
            s = np.where(used, -np.inf, logits[:, t])
            if tone_pattern:
                wrong = (want[:, t, None] > 0) & (tone[None, :] != want[:, t, None])
                toned = np.where(wrong, -np.inf, s)
                ok = np.isfinite(toned).any(1)  # a row with no character of the tone keeps s
                s = np.where(ok[:, None], toned, s)
            if temperature > 0:
                s = s / temperature + rng.gumbel(size=s.shape)
            ids[:, t] = s.argmax(1)
            used[every, ids[:, t]] = True
        return ids

    def generate(self, count: int, seed: int | None = None, temperature: float | None = None,
                 rules: bool | None = None, tone_pattern: bool | None = None) -> list[str]:
        """``count`` couplets from ``z ~ N(0, I)``; the decoding settings as :meth:`decode`."""
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((count, self.latent)).astype(np.float32)
        return self.decode(z, temperature, rng, rules, tone_pattern)

    def interpolate(self, a: str, b: str, steps: int = 7) -> list[str]:
        """Couplets decoded along the line between the posterior means of ``a`` and ``b``."""
        mean, _ = self.encode([a, b])
        w = np.linspace(0.0, 1.0, steps)[:, None]
        return self.decode((1 - w) * mean[0] + w * mean[1], temperature=0.0)

    # ------------------------------------------------------------------------ files
    def save(self, folder: str | os.PathLike) -> None:
        from zhpipe.fsutil import write_json

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, model in (("encoder", self.encoder), ("decoder", self.decoder)):
            tmp = folder / f".{name}.tmp.keras"
            model.save(tmp)
            os.replace(tmp, folder / f"{name}.keras")
        self.vocab.save(folder / "vocab.json")
        write_json(folder / "meta.json", {"chars": self.chars, "latent": self.latent,
                                          "decoding": self.decoding})

    @classmethod
    def load(cls, folder: str | os.PathLike) -> PoemWriter:
        folder = Path(folder)
        if not (folder / "decoder.keras").exists():
            raise FileNotFoundError(f"{folder}/decoder.keras: no trained poem model; run the "
                                    "train_poem stage first (snakemake --cores all train_poem)")
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        enc = keras.saving.load_model(folder / "encoder.keras", compile=False)
        dec = keras.saving.load_model(folder / "decoder.keras", compile=False)
        return cls(enc, dec, CharVocab.load(folder / "vocab.json"), meta["chars"],
                   meta.get("decoding"))


def strip(couplet: str, chars: int) -> str:
    """``上句，下句。`` -> the ``2 * chars`` characters; anything else is an error."""
    from zhpipe.poem.form import split_couplet

    lines = split_couplet(couplet, chars)
    if lines is None:
        raise ValueError(f"not a couplet of two {chars}-character lines: {couplet!r} "
                         f"(expected e.g. {'白日依山尽' if chars == 5 else '两个黄鹂鸣翠柳'}，...。)")
    return lines[0] + lines[1]


def evaluate(writer: PoemWriter, ids: np.ndarray, seed: int = 0, batch_size: int = 512) -> dict:
    """Held-out reconstruction loss and KL (nats per couplet, one posterior sample, as in the
    ELBO), KL per dimension and the active units (dimensions whose posterior mean varies across
    couplets: variance > 0.01, Burda et al. 2016)."""
    rng = np.random.default_rng(seed)
    mean, log_var = (np.asarray(a, np.float64) for a in
                     writer.encoder.predict(ids, verbose=0, batch_size=batch_size))
    z = mean + np.exp(0.5 * log_var) * rng.standard_normal(mean.shape)
    logits = np.asarray(writer.decoder.predict(z.astype(np.float32), verbose=0,
                                               batch_size=batch_size), np.float64)
    top = logits.max(-1, keepdims=True)
    log_z = np.log(np.exp(logits - top).sum(-1)) + top[..., 0]
    picked = np.take_along_axis(logits, ids[..., None].astype(np.int64), -1)[..., 0]
    recon = (log_z - picked).sum(-1)
    kl = -0.5 * (1.0 + log_var - mean**2 - np.exp(log_var))
    return {"recon_nats": round(float(recon.mean()), 4),
            "kl_nats": round(float(kl.sum(-1).mean()), 4),
            "neg_elbo_nats": round(float(recon.mean() + kl.sum(-1).mean()), 4),
            "kl_per_dim": [round(float(v), 4) for v in kl.mean(0)],
            "active_units": int((mean.var(0) > 0.01).sum()), "latent": int(mean.shape[1])}


def train(train_lines: Sequence[str], dev_lines: Sequence[str], chars: int, *, dim: int,
          latent: int, encoder_convs: int, decoder_convs: int, dropout: float, min_count: int,
          batch_size: int, learning_rate: float, epochs: int, patience: int,
          kl_warmup_steps: int, free_bits: float, seed: int, max_seconds: float | None = None,
          callbacks: Sequence[Callback] = ()) -> tuple[PoemWriter, dict]:
    """Train on ``train_lines`` (couplets ``上句，下句。``), early-stopped on the dev couplets'
    negative ELBO once the KL weight is whole; returns the writer and the curves.
    ``max_seconds``: start no pass that the last pass's time says would end after it."""
    keras.utils.set_random_seed(seed)
    pairs = [strip(c, chars) for c in train_lines]
    vocab = CharVocab.build(pairs, min_count)
    x = np.stack([vocab.encode(p) for p in pairs])
    dev = np.stack([vocab.encode(strip(c, chars)) for c in dev_lines])
    encoder, decoder, trainer = build(len(vocab), 2 * chars, dim=dim, latent=latent,
                                      encoder_convs=encoder_convs, decoder_convs=decoder_convs,
                                      dropout=dropout, free_bits=free_bits, seed=seed)
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate),
                    loss=[recon_loss, identity_loss])
    writer = PoemWriter(encoder, decoder, vocab, chars)
    rng = np.random.default_rng(seed)
    zeros = np.zeros((batch_size,), np.float32)
    history, stopper = [], EarlyStopping(trainer, patience, higher_is_better=False)
    t_start, steps, stopped_by_time, t_train = time.perf_counter(), 0, False, 0.0
    beta = 0.0
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        t0 = time.perf_counter()
        total, n = 0.0, 0
        batches = range(0, len(order) - batch_size + 1, batch_size)  # full batches: one shape
        for b in progress(batches, f"poem{chars} epoch {epoch + 1}/{epochs}", "batch"):
            beta = min(1.0, (steps + 1) / kl_warmup_steps) if kl_warmup_steps > 0 else 1.0
            xb = x[order[b:b + batch_size]]
            out = trainer.train_on_batch([xb, np.full((batch_size, 1), beta, np.float32)],
                                         [xb, zeros])
            total += float(np.asarray(out[0] if isinstance(out, list) else out))
            n += 1
            steps += 1
        seconds = time.perf_counter() - t0
        t_train += seconds
        dev_metrics = evaluate(writer, dev, seed)
        history.append({"epoch": epoch + 1, "loss": round(total / max(n, 1), 4),
                        "dev_recon_nats": dev_metrics["recon_nats"],
                        "dev_kl_nats": dev_metrics["kl_nats"],
                        "dev_neg_elbo_nats": dev_metrics["neg_elbo_nats"],
                        "active_units": dev_metrics["active_units"],
                        "beta": round(beta, 3), "seconds": round(seconds, 1),
                        "couplets_per_sec": round(n * batch_size / max(seconds, 1e-9))})
        epoch_end(callbacks, history[-1])
        log.info("poem%d epoch %d: loss %.3f, dev recon %.3f + KL %.3f nats, %d active units",
                 chars, epoch + 1, history[-1]["loss"], dev_metrics["recon_nats"],
                 dev_metrics["kl_nats"], dev_metrics["active_units"])
        # early stopping only once the KL weight is whole (before, the ELBO is not comparable)
        if beta >= 1.0 and stopper.update(dev_metrics["neg_elbo_nats"]):
            break
        elapsed = time.perf_counter() - t_start
        if max_seconds is not None and elapsed + seconds > max_seconds:
            log.info("poem%d: time budget of %.0f s reached after %d passes", chars,
                     max_seconds, epoch + 1)
            stopped_by_time = True
            break
    stopper.restore()
    info = {"history": history, "steps": steps, "train_seconds": round(t_train, 1),
            "couplets_per_sec": round(steps * batch_size / t_train) if t_train else 0,
            "stopped_by_time": stopped_by_time, "vocabulary": len(vocab),
            "train_couplets": len(x), "params": int(trainer.count_params()),
            "best_dev_neg_elbo_nats": None if stopper.weights is None else round(stopper.best, 4)}
    return writer, info
