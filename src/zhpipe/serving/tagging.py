"""The CRF taggers as MLflow models: ``zhpipe-segmenter`` (train_seg) and ``zhpipe-names``
(train_ner)."""

from __future__ import annotations

import json
from pathlib import Path

from zhpipe.serving.base import Base, ModelSpec


class Segmenter(Base):
    def load_context(self, context):
        from zhpipe.tagging.tagger import Tagger

        self.tagger = Tagger.load(self._folder(context), "seg")

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        from zhpipe.tagging.data import bmes_to_words

        tags = self.tagger.tag(list(model_input))
        return [" ".join(bmes_to_words(x, t)) for x, t in zip(model_input, tags, strict=True)]


class Names(Base):
    def load_context(self, context):
        from zhpipe.tagging.tagger import Tagger

        self.tagger = Tagger.load(self._folder(context), "ner")

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        from zhpipe.evaluation.entities import bio_entities

        return [json.dumps([{"type": typ, "start": a, "end": b, "text": x[a:b]}
                            for typ, a, b in bio_entities(tags)], ensure_ascii=False)
                for x, tags in zip(model_input, self.tagger.tag(list(model_input)),
                                   strict=True)]


_TAGGER = ("{n}.keras", "{n}.vocab.json", "{n}.meta.json", "{n}.lexicons.json", "{n}.lexicon.txt")


def _tagger_files(name: str, segmenter: bool) -> tuple[str, ...]:
    files = tuple(f.format(n=name) for f in _TAGGER)
    return files + (tuple(f.format(n="seg") for f in _TAGGER) if segmenter else ())


def specs(stage: str, folder: Path) -> list[ModelSpec]:
    if stage == "train_seg":
        return [ModelSpec("zhpipe-segmenter", folder, Segmenter, ["北京欢迎你。"],
                          _tagger_files("seg", False))]
    return [ModelSpec("zhpipe-names", folder, Names, ["江泽民在北京会见了联合国秘书长。"],
                      _tagger_files("ner", True))]
