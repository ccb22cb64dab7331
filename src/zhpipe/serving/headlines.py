"""The headline model as an MLflow model: ``zhpipe-titler`` (train_title)."""

from __future__ import annotations

from pathlib import Path

from zhpipe.serving.base import Base, ModelSpec


class Titler(Base):
    def load_context(self, context):
        from zhpipe.headlines.train import Titler as Model

        self.model = Model.load(self._folder(context))

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        return self.model.generate(list(model_input), 5)


def specs(stage: str, folder: Path) -> list[ModelSpec]:
    return [ModelSpec("zhpipe-titler", folder, Titler,
                      ["国务院总理李强今天在北京会见来华访问的新加坡总理，双方就深化两国合作交换意见。"],
                      ("titler.keras", "titler.meta.json", "vocab.json"))]
