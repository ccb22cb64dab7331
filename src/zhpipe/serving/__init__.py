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

One module per model package (its pyfunc classes and what it logs); this package's own
import is light (no MLflow): :func:`specs` imports the module of the stage asked for.

Registered name, stage (its folder): input -> output.

* ``zhpipe-segmenter``, train_seg (data/seg): sentences -> words joined by spaces
* ``zhpipe-names``, train_ner (data/ner): sentences -> JSON lists of {type, start, end, text}
* ``zhpipe-couplet`` (seq2seq, beam 5) and ``zhpipe-couplet-tagger``, train_couplet
  (data/couplet): upper lines -> lower lines
* ``zhpipe-cloze``, train_cloze (data/cloze): {"passage", "query"} (segmented text, the blank
  written XXXXX) -> the answer word
* ``zhpipe-poem5``, ``zhpipe-poem7``, train_poem (data/poem): seeds -> one couplet per seed
* ``zhpipe-titler``, train_title (data/title): news texts -> headlines (beam 5)
"""

from __future__ import annotations

import os
from pathlib import Path


def specs(stage: str, folder: str | os.PathLike) -> list:
    """The models (:class:`zhpipe.serving.base.ModelSpec`) stage ``stage`` logs from its output
    ``folder``; none for a stage that trains none. Imports MLflow and that model's module only."""
    folder = Path(folder)
    if stage in ("train_seg", "train_ner"):
        from zhpipe.serving import tagging as module
    elif stage == "train_couplet":
        from zhpipe.serving import couplet as module
    elif stage == "train_cloze":
        from zhpipe.serving import cloze as module
    elif stage == "train_poem":
        from zhpipe.serving import poem as module
    elif stage == "train_title":
        from zhpipe.serving import headlines as module
    else:
        return []
    return module.specs(stage, folder)
