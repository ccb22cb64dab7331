"""zhpipe.tracking: The stage's data deps as MLflow datasets."""



from tracking_helpers import _runs

from zhpipe import stagerun, tracking


def test_inputs_are_logged_as_datasets_with_their_dvc_hash(store):
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    folder = store / "data/prepared/x"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("一\n")
    (folder / "sub/b.txt").write_text("二\n")
    (store / "raw.txt").write_text("三\n")
    (store / "params.yaml").write_text(yaml.safe_dump({"prepare": {"corpora": {"x": {}}}}))
    (store / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"prepare": {
        "foreach": "${prepare.corpora}",
        "do": {"cmd": "true", "deps": ["src/zhpipe/a.py", "stages/p.py",
                                       "data/prepared/${key}", "raw.txt", "missing.txt"]}}}}))
    assert tracking.stage_inputs("prepare@x", store) == ["data/prepared/${key}".replace(
        "${key}", "x"), "raw.txt", "missing.txt"]
    # the same hashes as DVC's own (dvc add)
    dvc = str(Path(sys.executable).with_name("dvc"))
    subprocess.run([dvc, "init", "--no-scm", "-q"], cwd=store, check=True)
    subprocess.run([dvc, "add", "-q", "data/prepared/x", "raw.txt"], cwd=store, check=True)
    want = {p: yaml.safe_load((store / f"{p}.dvc").read_text())["outs"][0]["md5"]
            for p in ("data/prepared/x", "raw.txt")}
    assert {p: tracking.dvc_hash(store / p) for p in want} == want
    stagerun.record("prepare@x", {}, {"n": 1}, store / "reports/metrics/prepare/x.json",
                          root=store)
    (run,) = _runs(tracking.tracking_uri(store))
    got = {d.dataset.name: d.dataset.digest for d in run.inputs.dataset_inputs}
    assert got == want  # the missing dep is left out
