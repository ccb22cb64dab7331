"""The cloze reader as an MLflow model: ``zhpipe-cloze`` (train_cloze)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from zhpipe.serving.base import Base, ModelSpec


class ClozeQuestion(BaseModel):
    """A cloze item: the passage (sentences on separate lines, words separated by spaces) and
    the query sentence, segmented too, with the blank written ``XXXXX``."""

    passage: str
    query: str


class Cloze(Base):
    def load_context(self, context):
        from zhpipe.cloze.reader import Reader

        self.reader = Reader.load(self._folder(context))

    def predict(self, context, model_input: list[ClozeQuestion], params=None) -> list[str]:
        from zhpipe.cloze.data import BLANK, ClozeItem

        items = []
        for i, q in enumerate(model_input):
            q = q if isinstance(q, ClozeQuestion) else ClozeQuestion(**q)
            if BLANK not in q.query.split():
                raise ValueError(f"question {i}: the query has no blank ({BLANK} as a word)")
            items.append(ClozeItem(f"<qid_{i}>", [s.split() for s in q.passage.splitlines()
                                                  if s.strip()], q.query.split()))
        return self.reader.answer(items)


def specs(stage: str, folder: Path) -> list[ModelSpec]:
    return [ModelSpec("zhpipe-cloze", folder, Cloze, [
        {"passage": "小 明 养 了 一 只 猫 。\n猫 每天 都 在 院子 里 晒 太阳 。",
         "query": "XXXXX 每天 都 在 院子 里 晒 太阳 。"}],
        tuple(p.name for p in sorted(folder.glob("reader*.keras")))
        + tuple(p.name for p in sorted(folder.glob("reader*.json"))) + ("vocab.json",))]
