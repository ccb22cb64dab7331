"""The training stages' models as MLflow models: logged with the run, registered (one version
per run), loadable with mlflow.pyfunc in a fresh process."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from zhpipe import serving, stagerun, tracking
from zhpipe.tagging.data import SEG_TAGS, LexiconFlags, bmes_to_words, words_to_bmes
from zhpipe.tagging.tagger import train_tagger


@pytest.fixture(scope="module")
def seg_folder(tmp_path_factory):
    rng = np.random.default_rng(0)
    vocab = ["北京", "欢迎", "你", "我们", "喜欢", "中国"]
    sents = [list(rng.choice(vocab, 6)) for _ in range(200)]
    texts = ["".join(s) for s in sents]
    tagger, _ = train_tagger(texts, [words_to_bmes(s) for s in sents], SEG_TAGS,
                             LexiconFlags(["北京", "欢迎"]), lambda t: 0.0, epochs=4, patience=9,
                             tokens_per_batch=512, learning_rate=0.01, seed=1, max_len=50,
                             filters=16, char_dim=8, bigram_dim=4, dilations=(1,))
    folder = tmp_path_factory.mktemp("data") / "seg"
    tagger.save(folder, "seg")
    (folder / "ner_train.seg_tags.txt").write_text("BE\n")  # a stage output, not the model's
    return folder, tagger


def test_the_segmenter_is_registered_per_run_and_loads_in_a_fresh_process(store, seg_folder):
    from mlflow.tracking import MlflowClient

    folder, tagger = seg_folder
    for _ in range(2):
        stagerun.record("train_seg", {"k": 1}, {"f1": 0.5},
                              store / "reports/metrics/train_seg.json", root=store,
                              models=folder, model_specs=serving.specs)
    uri = tracking.tracking_uri(store)
    client = MlflowClient(uri)
    versions = sorted(client.search_model_versions("name='zhpipe-segmenter'"),
                      key=lambda v: int(v.version))
    runs = {r.info.run_id for r in client.search_runs(
        [client.get_experiment_by_name(tracking.EXPERIMENT).experiment_id])}
    assert [int(v.version) for v in versions] == [1, 2]  # one new version per run
    assert {v.run_id for v in versions} == runs and len(runs) == 2
    want = [" ".join(bmes_to_words(x, t)) for x, t in
            zip(["北京欢迎你", "我们喜欢中国"], tagger.tag(["北京欢迎你", "我们喜欢中国"]),
                strict=True)]
    code = ("import json, sys, mlflow; mlflow.set_tracking_uri(sys.argv[1]); "
            "m = mlflow.pyfunc.load_model('models:/zhpipe-segmenter/2'); "
            "print(json.dumps({'out': m.predict(['北京欢迎你', '我们喜欢中国']), "
            "'inputs': str(m.metadata.signature.inputs), "
            "'files': sorted(__import__('os').listdir(m._model_impl.context.artifacts['model']))"
            "}, ensure_ascii=False))")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    got = json.loads(subprocess.run([sys.executable, "-c", code, uri], capture_output=True,
                                    text=True, check=True, env=env, cwd="/").stdout
                     .strip().splitlines()[-1])
    assert got["out"] == want
    assert "string" in got["inputs"]
    assert "ner_train.seg_tags.txt" not in got["files"] and "seg.keras" in got["files"]


def test_models_are_not_logged_when_switched_off(store, seg_folder):
    from mlflow.tracking import MlflowClient

    (store / "params.yaml").write_text("tracking:\n  log_models: false\n")
    stagerun.record("train_seg", {}, {"f1": 0.5}, store / "m.json", root=store,
                          models=seg_folder[0], model_specs=serving.specs)
    assert MlflowClient(tracking.tracking_uri(store)).search_registered_models() == []


def test_every_training_stage_names_its_models(tmp_path):
    names = {s.name for stage in ("train_seg", "train_ner", "train_couplet", "train_cloze",
                                  "train_title")
             for s in serving.specs(stage, tmp_path)}
    assert names == {"zhpipe-segmenter", "zhpipe-names", "zhpipe-couplet",
                     "zhpipe-couplet-tagger", "zhpipe-cloze", "zhpipe-titler"}
    for n in (5, 7):
        (tmp_path / f"poem{n}").mkdir()
    assert [s.name for s in serving.specs("train_poem", tmp_path)] == ["zhpipe-poem5",
                                                                       "zhpipe-poem7"]
    assert serving.specs("mine_words", tmp_path) == []
    names = serving.specs("train_ner", tmp_path)[0].files
    assert "ner.keras" in names and "seg.keras" in names  # it reads the segmenter's tags
