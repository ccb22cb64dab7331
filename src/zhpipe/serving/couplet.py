"""The couplet models as MLflow models: ``zhpipe-couplet`` (the model with the lowest dev loss,
beam 5, reranked by the form score with the weight it was trained with) and
``zhpipe-couplet-tagger`` (train_couplet)."""

from __future__ import annotations

from pathlib import Path

from zhpipe.serving.base import Base, ModelSpec


class CoupletWriter(Base):
    kind = "best"

    def load_context(self, context):
        from zhpipe.couplet.train import Couplet

        self.model = Couplet.load(self._folder(context), self.kind)

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        from zhpipe.couplet.data import check_upper

        return self.model.generate([check_upper(x, self.model.max_len) for x in model_input],
                                   5)


class CoupletTagger(CoupletWriter):
    kind = "tagger"


def specs(stage: str, folder: Path) -> list[ModelSpec]:
    from zhpipe.couplet.train import best_kind

    best = best_kind(folder)
    return [ModelSpec("zhpipe-couplet", folder, CoupletWriter, ["春风得意马蹄疾"],
                      (f"{best}.keras", f"{best}.meta.json", "vocab.json", "best.json")),
            ModelSpec("zhpipe-couplet-tagger", folder, CoupletTagger, ["春风得意马蹄疾"],
                      ("tagger.keras", "tagger.meta.json", "vocab.json"))]
