"""The trained models as MLflow models (pyfunc flavour): logged by the training stages, registered
under stable names, loadable anywhere MLflow is::

    import mlflow
    seg = mlflow.pyfunc.load_model("models:/zhpipe-segmenter/latest")
    seg.predict(["北京欢迎你"])                     # ['北京 欢迎 你']

or ``mlflow models predict -m models:/zhpipe-segmenter/1 -i in.json --env-manager local``.
Each model's input and output are typed (the ``predict`` type hints give MLflow the signature)
and logged with an input example. The model's files are the stage's own (``data/seg/`` ...),
copied as the model's artefacts; the zhpipe package goes with them (``code_paths``), so a model
loads in a fresh process wherever keras and the backend are installed.

Registered name, stage (its folder): input -> output.

* ``zhpipe-segmenter``, train_seg (data/seg): sentences -> words joined by spaces
* ``zhpipe-names``, train_ner (data/ner): sentences -> JSON lists of {type, start, end, text}
* ``zhpipe-couplet`` (seq2seq, beam 5) and ``zhpipe-couplet-tagger``, train_couplet
  (data/couplet): upper lines -> lower lines
* ``zhpipe-cloze``, train_cloze (data/cloze): {"passage", "query"} (segmented text, the blank
  written XXXXX) -> the answer word
* ``zhpipe-poem5``, ``zhpipe-poem7``, train_poem (data/poem): seeds -> one couplet per seed
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import mlflow.pyfunc
from pydantic import BaseModel

PACKAGE = Path(__file__).resolve().parent


class ClozeQuestion(BaseModel):
    """A cloze item: the passage (sentences on separate lines, words separated by spaces) and
    the query sentence, segmented too, with the blank written ``XXXXX``."""

    passage: str
    query: str


class _Base(mlflow.pyfunc.PythonModel):
    def __getstate__(self) -> dict:
        # Pickled without what load_context loaded: MLflow runs predict on the input example
        # (load_context first) before it pickles the object, which put a second copy of the
        # weights into python_model.pkl (133 MB for the cloze reader). The files are the model.
        return {}

    def _folder(self, context) -> Path:
        return Path(context.artifacts["model"])


class Segmenter(_Base):
    def load_context(self, context):
        from zhpipe.tagging.tagger import Tagger

        self.tagger = Tagger.load(self._folder(context), "seg")

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        from zhpipe.tagging.data import bmes_to_words

        tags = self.tagger.tag(list(model_input))
        return [" ".join(bmes_to_words(x, t)) for x, t in zip(model_input, tags, strict=True)]


class Names(_Base):
    def load_context(self, context):
        from zhpipe.tagging.tagger import Tagger

        self.tagger = Tagger.load(self._folder(context), "ner")

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        from zhpipe.tagging.data import bio_entities

        return [json.dumps([{"type": typ, "start": a, "end": b, "text": x[a:b]}
                            for typ, a, b in bio_entities(tags)], ensure_ascii=False)
                for x, tags in zip(model_input, self.tagger.tag(list(model_input)),
                                   strict=True)]


class CoupletWriter(_Base):
    kind = "seq2seq"

    def load_context(self, context):
        from zhpipe.couplet.train import Couplet

        self.model = Couplet.load(self._folder(context), self.kind)

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        from zhpipe.couplet.data import check_upper

        return self.model.generate([check_upper(x, self.model.max_len) for x in model_input],
                                   5)


class CoupletTagger(CoupletWriter):
    kind = "tagger"


class Cloze(_Base):
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


class Poem(_Base):
    def load_context(self, context):
        from zhpipe.poem.vae import PoemWriter

        self.writer = PoemWriter.load(self._folder(context))

    def predict(self, context, model_input: list[int], params=None) -> list[str]:
        return [self.writer.generate(1, seed=int(s))[0] for s in model_input]


@dataclass(frozen=True)
class ModelSpec:
    """One model a stage logs: its registered name, the folder of its files, which files."""

    name: str
    folder: Path
    model: type[_Base]
    example: list
    files: tuple[str, ...] = ()  # empty: the whole folder

    def files_to_log(self) -> list[Path]:
        if not self.files:
            return sorted(p for p in self.folder.rglob("*") if p.is_file()
                          and not p.name.startswith("."))
        return [self.folder / f for f in self.files if (self.folder / f).exists()]


_TAGGER = ("{n}.keras", "{n}.vocab.json", "{n}.meta.json", "{n}.lexicons.json", "{n}.lexicon.txt")


def _tagger_files(name: str, segmenter: bool) -> tuple[str, ...]:
    files = tuple(f.format(n=name) for f in _TAGGER)
    return files + (tuple(f.format(n="seg") for f in _TAGGER) if segmenter else ())


def specs(stage: str, folder: str | Path) -> list[ModelSpec]:
    """The models stage ``stage`` logs from its output ``folder``."""
    folder = Path(folder)
    if stage == "train_seg":
        return [ModelSpec("zhpipe-segmenter", folder, Segmenter, ["北京欢迎你。"],
                          _tagger_files("seg", False))]
    if stage == "train_ner":
        return [ModelSpec("zhpipe-names", folder, Names, ["江泽民在北京会见了联合国秘书长。"],
                          _tagger_files("ner", True))]
    if stage == "train_couplet":
        return [ModelSpec("zhpipe-couplet", folder, CoupletWriter, ["春风得意马蹄疾"],
                          ("seq2seq.keras", "seq2seq.meta.json", "vocab.json")),
                ModelSpec("zhpipe-couplet-tagger", folder, CoupletTagger, ["春风得意马蹄疾"],
                          ("tagger.keras", "tagger.meta.json", "vocab.json"))]
    if stage == "train_cloze":
        return [ModelSpec("zhpipe-cloze", folder, Cloze, [
            {"passage": "小 明 养 了 一 只 猫 。\n猫 每天 都 在 院子 里 晒 太阳 。",
             "query": "XXXXX 每天 都 在 院子 里 晒 太阳 。"}],
            tuple(p.name for p in sorted(folder.glob("reader*.keras")))
            + tuple(p.name for p in sorted(folder.glob("reader*.json"))) + ("vocab.json",))]
    if stage == "train_poem":
        return [ModelSpec(f"zhpipe-poem{n}", folder / f"poem{n}", Poem, [1, 2])
                for n in (5, 7) if (folder / f"poem{n}").is_dir()]
    return []


def log_model(spec: ModelSpec, tmp: Path) -> str:
    """Log ``spec`` as a pyfunc model into the active run and register it; return its uri.
    ``tmp``: a scratch folder for the copy of the model's files."""
    import shutil

    staged = tmp / spec.name
    staged.mkdir(parents=True)
    for f in spec.files_to_log():
        dest = staged / f.relative_to(spec.folder)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)
    # Its warning that a Python object is pickled (cloudpickle) is about untrusted objects: these
    # are zhpipe's own classes, pickled by reference to this module.
    quiet = logging.getLogger("mlflow.pyfunc")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        info = mlflow.pyfunc.log_model(
            name=spec.name, python_model=spec.model(), artifacts={"model": str(staged)},
            input_example=spec.example, registered_model_name=spec.name,
            code_paths=[str(PACKAGE)], pip_requirements=_requirements())
    finally:
        quiet.setLevel(level)
    return info.model_uri


def _requirements() -> list[str]:
    from importlib.metadata import version

    reqs = []
    for dist in ("keras", "tensorflow-cpu", "numpy", "pydantic", "mlflow"):
        try:
            reqs.append(f"{dist}=={version(dist)}")
        except Exception:  # noqa: BLE001  (not installed here: let pip choose)
            continue
    return reqs
