"""dvc.yaml is the only declaration of the DAG; the Snakefile must derive exactly the same one."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from zhpipe.dag import is_dir_out, load_stages, rule_name

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _dvc_graph():
    out = subprocess.run([BIN / "dvc", "dag", "--dot"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    nodes = {rule_name(n) for n in re.findall(r'^"([^"]+)";$', out, re.M)}
    edges = {(rule_name(a), rule_name(b)) for a, b in re.findall(r'"([^"]+)" -> "([^"]+)"', out)}
    return nodes, edges


def _snakemake_graph():
    out = subprocess.run([BIN / "snakemake", "--rulegraph", "--forceall", "--quiet", "all"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    labels = dict(re.findall(r'^\s*(\d+)\[label = "([^"]+)"', out, re.M))
    edges = {(labels[a], labels[b]) for a, b in re.findall(r"^\s*(\d+) -> (\d+)", out, re.M)}
    nodes = set(labels.values()) - {"all"}
    return nodes, {(a, b) for a, b in edges if "all" not in (a, b)}


def test_dvc_dag_and_snakemake_rulegraph_agree():
    dvc_nodes, dvc_edges = _dvc_graph()
    smk_nodes, smk_edges = _snakemake_graph()
    assert dvc_nodes == smk_nodes
    assert dvc_edges == smk_edges
    assert ("download_pd1998", "prepare_pd1998") in dvc_edges  # foreach stages resolved


@pytest.fixture(scope="module")
def stages():
    return load_stages(ROOT)


def test_each_stage_reads_only_its_own_params_section(stages):
    for st in stages:
        section = st.name.split("@")[0]
        assert st.params, f"{st.name} lists no params"
        for key in st.params:
            if section == "download" and key == f"catalogue.{st.name.split('@')[1]}":
                continue  # its own entry of catalogue.yaml
            assert key == section or key.startswith(section + "."), (st.name, key)


def test_every_stage_metrics_file_feeds_the_report(stages):
    report = next(st for st in stages if st.name == "report")
    metrics = {o for st in stages for o in st.outs if o.startswith("reports/metrics/")}
    metrics.discard("reports/metrics/report.json")
    assert metrics <= set(report.deps)
    for st in stages:
        assert any(o.startswith("reports/metrics/") for o in st.outs), st.name


def test_stage_scripts_exist_and_folder_outs_follow_the_convention(stages):
    for st in stages:
        script = st.cmd.split()[1]
        assert (ROOT / script).is_file(), st.cmd
        for out in st.outs:
            if is_dir_out(out):
                # data folders, and the training curves (zhpipe.tracking.CURVES_DIR)
                assert out.startswith(("data/", "reports/curves/")), \
                    f"{st.name}: {out} has no suffix but is no folder"


def test_source_folder_deps_are_expanded_to_files(stages):
    report = next(st for st in stages if st.name == "report")
    assert "src/zhpipe/report/build.py" in report.deps
    assert "src/zhpipe/report" not in report.deps


def test_every_stage_declares_its_threads_and_the_rule_passes_them(stages):
    """meta.threads in dvc.yaml -> the Snakemake rule's threads -> $ZHPIPE_THREADS, so that
    `snakemake --cores N` never runs more threads than N."""
    import yaml

    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for name, body in spec.items():
        assert "threads" in body.get("do", body).get("meta", {}), name
    from zhpipe.dag import rule_threads

    by_name = {st.name: st for st in stages}
    assert by_name["train_couplet"].threads == 0.5 and by_name["report"].threads == 1
    assert [rule_threads(by_name["train_couplet"], c) for c in (1, 2, 16)] == [1, 1, 8]
    assert [rule_threads(by_name["train_cloze"], c) for c in (1, 2, 16)] == [1, 2, 16]
    assert rule_threads(by_name["report"], 16) == 1
    assert "ZHPIPE_THREADS={threads}" in (ROOT / "Snakefile").read_text(encoding="utf-8")


def test_stagerun_applies_the_thread_count(monkeypatch):
    from zhpipe import stagerun

    monkeypatch.setenv(stagerun.THREADS_ENV, "3")
    assert stagerun.threads() == 3
    monkeypatch.setenv(stagerun.THREADS_ENV, "x")
    with pytest.raises(stagerun.UserError, match="ZHPIPE_THREADS"):
        stagerun.threads()
    monkeypatch.delenv(stagerun.THREADS_ENV)
    assert stagerun.threads() >= 1


def test_every_stage_declares_what_a_scheduler_reserves_and_the_rule_asks_for_it(stages):
    """meta.mem_mb / meta.runtime -> the rule's resources -> Slurm's --mem / --time (the
    profiles in profiles/slurm and profiles/cluster-generic pass them on)."""
    import yaml

    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for name, body in spec.items():
        meta = body.get("do", body).get("meta", {})
        assert {"mem_mb", "runtime"} <= set(meta), name
    by_name = {st.name: st for st in stages}
    assert by_name["train_couplet"].mem_mb == spec["train_couplet"]["meta"]["mem_mb"]
    out = subprocess.run([BIN / "snakemake", "-n", "--forceall", "--cores", "2", "train_seg"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    block = out[out.index("rule train_seg:"):]
    assert f"mem_mb={by_name['train_seg'].mem_mb}" in block
    assert f"runtime={by_name['train_seg'].runtime}" in block
    generic = (ROOT / "profiles/cluster-generic/config.yaml").read_text(encoding="utf-8")
    assert "{resources.mem_mb} {resources.runtime}" in generic


@pytest.mark.parametrize("meta, message", [
    ({"threads": 1, "mem_mb": 0}, "meta.mem_mb must be a whole number >= 1 (MB)"),
    ({"threads": 1, "runtime": "1h"}, "meta.runtime must be a whole number >= 1 (minutes)"),
])
def test_a_bad_resource_in_dvc_yaml_is_named(tmp_path, meta, message):
    import yaml

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([BIN / "dvc", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"s": {
        "cmd": "echo", "meta": meta, "outs": ["o.txt"]}}}))
    with pytest.raises(ValueError, match=re.escape(f"dvc.yaml: s: {message}")):
        load_stages(tmp_path)
