"""The poem writers as MLflow models: ``zhpipe-poem5`` and ``zhpipe-poem7`` (train_poem)."""

from __future__ import annotations

from pathlib import Path

from zhpipe.serving.base import Base, ModelSpec


class Poem(Base):
    def load_context(self, context):
        from zhpipe.poem.vae import PoemWriter

        self.writer = PoemWriter.load(self._folder(context))

    def predict(self, context, model_input: list[int], params=None) -> list[str]:
        return [self.writer.generate(1, seed=int(s))[0] for s in model_input]


def specs(stage: str, folder: Path) -> list[ModelSpec]:
    return [ModelSpec(f"zhpipe-poem{n}", folder / f"poem{n}", Poem, [1, 2])
            for n in (5, 7) if (folder / f"poem{n}").is_dir()]
