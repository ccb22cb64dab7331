"""zhpipe.tracking.live: the live run of a stage (params and epochs as they happen, FAILED on
an error, system metrics)."""


import pytest
from tracking_helpers import _TRAINING, _client, _epoch, _history, _runs

from zhpipe import stagerun, tracking
from zhpipe.callbacks import epoch_end


def test_a_stage_run_is_live_while_the_stage_runs(store):
    """Created when the stage starts (RUNNING), params at once, each epoch as it ends; the end
    of the stage completes the same run without logging anything twice."""
    from zhpipe.params import Section

    class P(Section):
        k: int = 1
        lr: float = 0.01

    uri = tracking.tracking_uri(store)
    rid = tracking.open_stage_run("train_ner", store)
    run = _client(uri).get_run(rid)
    assert run.info.status == "RUNNING" and run.data.tags["zhpipe.stage"] == "train_ner"
    tracking.note_params(P())
    assert _client(uri).get_run(rid).data.params == {"k": "1", "lr": "0.01"}
    for row in _TRAINING["ner"]["history"][:2]:
        _epoch("ner", row)  # as the training loop calls its callbacks
    epoch_end([], {"epoch": 1, "loss": 99.0})  # e.g. a jackknife fold: handed no callback
    assert sorted(_history(uri, rid, "ner.loss")) == [(1, 9.5), (2, 1.5)]  # while it runs
    assert _client(uri).get_run(rid).info.status == "RUNNING"
    _epoch("ner", _TRAINING["ner"]["history"][2])
    stagerun.record("train_ner", P(), _TRAINING, store / "reports/metrics/train_ner.json",
                          root=store)
    (run,) = _runs(uri)
    assert run.info.run_id == rid and run.info.status == "FINISHED"
    assert sorted(_history(uri, rid, "ner.loss")) == [(1, 9.5), (2, 1.5), (3, 0.5)]  # once each
    assert run.data.metrics["ner.f1"] == 0.9 and run.data.params == {"k": "1", "lr": "0.01"}
    _epoch("ner", {"epoch": 4, "loss": 1.0})  # no live run any more: nothing happens


def test_a_stage_that_fails_closes_its_run_failed_with_the_error(store, monkeypatch):
    from zhpipe import stagerun
    from zhpipe.errors import UserError

    monkeypatch.setenv("DVC_ROOT", str(store))

    def work(_p, _run):
        raise UserError("params.yaml: train_ner.lr: not a number")

    with pytest.raises(SystemExit) as exc:
        stagerun.run("train_ner", work, metrics=store / "m.json")
    assert exc.value.code == 2
    (run,) = _runs(tracking.tracking_uri(store))
    assert run.info.status == "FAILED"
    assert run.data.tags["zhpipe.error"] == "params.yaml: train_ner.lr: not a number"


def test_system_metrics_are_sampled_on_the_live_run(store):
    (store / "params.yaml").write_text("tracking:\n  system_metrics_interval_s: 0.2\n")
    import time

    rid = tracking.open_stage_run("train_seg", store)
    time.sleep(1.5)
    stagerun.record("train_seg", {}, {"f1": 1.0}, store / "reports/metrics/train_seg.json",
                          root=store)
    keys = set(_client(tracking.tracking_uri(store)).get_run(rid).data.metrics)
    assert "system/cpu_utilization_percentage" in keys and \
        "system/system_memory_usage_megabytes" in keys, keys
