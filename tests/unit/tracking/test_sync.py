"""zhpipe.tracking: Queued runs and `zhpipe tracking sync`."""

import json

import pytest
from tracking_helpers import _TRAINING, _epoch, _history, _runs

from zhpipe import stagerun, tracking


def test_unreachable_server_queues_the_run_and_sync_logs_it(store, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    stagerun.record("download@y", {"k": 1}, {"bytes": 10},
                          store / "reports/metrics/download/y.json", root=store)
    assert json.loads((store / "reports/metrics/download/y.json").read_text()) == {"bytes": 10}
    queued = list((store / tracking.PENDING_DIR).glob("*.json"))
    assert len(queued) == 1
    assert tracking.sync_pending(store) == (0, 1)  # still down: nothing lost
    uri = f"sqlite:///{store / 'other.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert tracking.sync_pending(store) == (1, 0)
    assert not list((store / tracking.PENDING_DIR).glob("*.json"))
    (run,) = _runs(uri)
    assert run.info.run_name == "download@y" and run.data.metrics == {"bytes": 10.0}


def test_an_unreadable_queued_file_is_named_and_set_aside(store, monkeypatch, caplog):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    stagerun.record("prepare@a", {"k": 1}, {"n": 1}, store / "a.json", root=store)
    bad = store / tracking.PENDING_DIR / "0-corrupt.json"
    bad.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'other.db'}")
    assert tracking.sync_pending(store) == (1, 0)  # the good one is logged all the same
    assert "0-corrupt.json" in caplog.text
    assert (store / tracking.PENDING_DIR / "unreadable" / "0-corrupt.json").exists()


def test_two_syncs_at_once_do_not_log_a_run_twice(store):
    import fcntl
    import os

    from zhpipe.errors import UserError

    folder = store / tracking.PENDING_DIR
    folder.mkdir(parents=True)
    fd = os.open(folder / ".sync.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a sync in progress
    try:
        with pytest.raises(UserError, match="another `zhpipe tracking sync`"):
            tracking.sync_pending(store)
    finally:
        os.close(fd)
    assert tracking.sync_pending(store) == (0, 0)


def test_a_run_queued_before_the_checkout_moved_is_logged_in_the_new_place(tmp_path, store,
                                                                             monkeypatch):
    """The queue held the default store's absolute URI and absolute paths of its copies."""
    import shutil

    from mlflow.tracking import MlflowClient

    def refuse(self, *a, **k):
        raise RuntimeError("refused")

    log_batch = MlflowClient.log_batch
    monkeypatch.setattr(MlflowClient, "log_batch", refuse)  # e.g. the database was locked
    first = tmp_path / "first"
    first.mkdir()
    (first / "curve.json").write_text("then", encoding="utf-8")
    stagerun.record("mine_words", {"k": 1}, {"n": 1}, first / "m.json",
                          artifacts=[first / "curve.json"], root=first)
    assert len(list((first / tracking.PENDING_DIR).glob("*.json"))) == 1
    monkeypatch.setattr(MlflowClient, "log_batch", log_batch)
    moved = tmp_path / "moved"
    shutil.move(first, moved)
    assert tracking.sync_pending(moved) == (1, 0)
    (run,) = _runs(tracking.tracking_uri(moved))  # the moved checkout's own store

    names = {a.path for a in MlflowClient(tracking.tracking_uri(moved)).list_artifacts(
        run.info.run_id)}
    assert names == {"m.json", "curve.json"}
    assert not first.exists()


def test_a_queued_training_run_syncs_its_curves_with_steps(store, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    stagerun.record("train_ner", {"k": 1}, _TRAINING, store / "reports/metrics/train_ner.json",
                          root=store)
    assert len(list((store / tracking.PENDING_DIR).glob("*.json"))) == 1
    uri = f"sqlite:///{store / 'later.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert tracking.sync_pending(store) == (1, 0)
    (run,) = _runs(uri)
    assert sorted(_history(uri, run.info.run_id, "ner.dev")) == [(1, 0.8), (2, 0.9), (3, 0.92)]


def test_a_run_queued_mid_stage_is_completed_by_sync(store, monkeypatch):
    """The server goes away after the stage started: the record names the live run, and the
    sync completes that run instead of making a second one."""
    uri = tracking.tracking_uri(store)
    rid = tracking.open_stage_run("train_ner", store)
    _epoch("ner", _TRAINING["ner"]["history"][0])

    real = tracking.record.log_record

    def down(record, root, model_specs=None):
        raise ConnectionError("server went away")

    monkeypatch.setattr(tracking.record, "log_record", down)
    stagerun.record("train_ner", {"k": 1}, _TRAINING,
                          store / "reports/metrics/train_ner.json", root=store)
    (queued,) = (store / tracking.PENDING_DIR).glob("*.json")
    assert json.loads(queued.read_text())["live_run_id"] == rid
    monkeypatch.setattr(tracking.record, "log_record", real)  # the server is back
    assert tracking.sync_pending(store) == (1, 0)
    (run,) = _runs(uri)
    assert run.info.run_id == rid and run.info.status == "FINISHED"
    assert sorted(_history(uri, rid, "ner.loss")) == [(1, 9.5), (2, 1.5), (3, 0.5)]
