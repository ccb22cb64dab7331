"""zhpipe's tracking against a real MLflow server on PostgreSQL (scale/mlflow-server.sh), on
127.0.0.1: nested runs, live step metrics, registered models and artefacts on the server; the
server killed while a stage runs: the run is queued and `zhpipe tracking sync` completes it once
the server is back. Skipped, saying why, where PostgreSQL or psycopg2 is missing (.ci/run
installs both)."""

from pathlib import Path

import numpy as np
import pytest

from zhpipe import serving, stagerun, tracking
from zhpipe.callbacks import epoch_end, named


def _epoch(curve: str, row: dict) -> None:
    epoch_end(named(curve, [tracking.EpochLogger()]), row)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.services


@pytest.fixture
def project(store, server, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.uri)
    return store


def _tiny_segmenter(folder: Path) -> None:
    from zhpipe.tagging.data import SEG_TAGS, words_to_bmes
    from zhpipe.tagging.tagger import train_tagger

    rng = np.random.default_rng(0)
    sents = [list(rng.choice(["北京", "欢迎", "你", "我们"], 5)) for _ in range(100)]
    tagger, _ = train_tagger(["".join(s) for s in sents], [words_to_bmes(s) for s in sents],
                             SEG_TAGS, None, lambda t: 0.0, epochs=2, patience=9,
                             tokens_per_batch=512, learning_rate=0.01, seed=1, max_len=50,
                             filters=8, char_dim=8, bigram_dim=4, dilations=(1,))
    tagger.save(folder, "seg")


def test_a_pipeline_logs_to_the_server(project, server):
    from mlflow.tracking import MlflowClient

    _tiny_segmenter(project / "data" / "seg")
    pid, parent = tracking.start_pipeline("snakemake", project)
    assert parent is not None
    rid = tracking.open_stage_run("train_seg", project)
    for epoch in (1, 2):
        _epoch("seg", {"epoch": epoch, "loss": 1.0 / epoch, "dev": 0.5 + epoch / 10})
    client = MlflowClient(server.uri)
    assert client.get_run(rid).info.status == "RUNNING"  # live on the server
    history = [{"epoch": e, "loss": 1.0 / e, "dev": 0.5 + e / 10} for e in (1, 2)]
    stagerun.record("train_seg", {"k": 1}, {"seg": {"history": history}, "f1": 0.7},
                          project / "reports/metrics/train_seg.json", root=project,
                          models=project / "data" / "seg", model_specs=serving.specs)
    tracking.end_pipeline("FINISHED", project)
    assert not (project / tracking.PENDING_DIR).exists()
    run = client.get_run(rid)
    assert run.info.status == "FINISHED" and run.data.tags["mlflow.parentRunId"] == parent
    assert [(m.step, m.value) for m in client.get_metric_history(rid, "seg.loss")] == \
        [(1, 1.0), (2, 0.5)]
    assert [a.path for a in client.list_artifacts(rid)] == ["train_seg.json"]
    assert Path(client.download_artifacts(rid, "train_seg.json", str(project))).read_text()
    # (the server is shared by the session: other tests register versions too)
    (version,) = [v for v in client.search_model_versions("name='zhpipe-segmenter'")
                  if v.run_id == rid]
    import mlflow

    mlflow.set_tracking_uri(server.uri)
    model = mlflow.pyfunc.load_model(f"models:/zhpipe-segmenter/{version.version}")
    assert "".join(model.predict(["北京欢迎你"])[0].split()) == "北京欢迎你"


def test_the_server_killed_mid_stage_queues_the_run_and_sync_completes_it(project, server):
    from mlflow.tracking import MlflowClient

    rid = tracking.open_stage_run("train_ner", project)
    _epoch("ner", {"epoch": 1, "loss": 2.0})
    server.down()  # killed while the stage trains
    try:
        _epoch("ner", {"epoch": 2, "loss": 1.0})  # warns, the stage goes on
        stagerun.record("train_ner", {"k": 1}, {"ner": {"history": [
            {"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": 1.0}]}, "f1": 0.5},
            project / "reports/metrics/train_ner.json", root=project)
        assert (project / "reports/metrics/train_ner.json").exists()
        (queued,) = (project / tracking.PENDING_DIR).glob("*.json")
    finally:
        server.up()
    assert tracking.sync_pending(project) == (1, 0)
    client = MlflowClient(server.uri)
    run = client.get_run(rid)  # the same run, completed
    assert run.info.status == "FINISHED" and run.data.metrics["ner.loss"] == 1.0
    assert [(m.step, m.value) for m in client.get_metric_history(rid, "ner.loss")] == \
        [(1, 2.0), (2, 1.0)]
