"""The real DAG, run by both Snakemake and DVC on tiny datasets served from 127.0.0.1."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import tiny_project

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STAGES = {f"{s}@{d}" for s in ("download", "prepare")
          for d in ("pd1998", "sighan2005", "couplet", "cmrc2017", "cft", "ca8", "lcsts",
                    "zhwiki", "poetry", "xwlb")} | {
    "raw_text", "count_ngrams@0", "count_ngrams@1", "mine_words", "word2vec", "eval_word2vec", "train_seg", "train_ner",
    "train_couplet", "train_title", "cloze_items", "cloze_vectors", "train_cloze", "train_poem", "report",
    "ingest@demo", "own_corpus@demo"}
#: What each training stage registers in MLflow (zhpipe.serving).
MODELS = {"zhpipe-segmenter", "zhpipe-names", "zhpipe-couplet", "zhpipe-couplet-tagger",
          "zhpipe-cloze", "zhpipe-poem5", "zhpipe-poem7", "zhpipe-titler"}


def _run(cmd, cwd, env, ok=True):
    # a guard against a hung runner, not a speed check: the whole tiny DAG on 2 cores takes
    # about 4 minutes alone (bench/results/tiny_pipeline_profile.jsonl), 10+ on a shared machine
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    out = proc.stdout + proc.stderr
    if ok and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{out[-4000:]}")
    return out


def _mlflow_runs(proj):
    from mlflow.tracking import MlflowClient

    c = MlflowClient(f"sqlite:///{proj / 'mlflow.db'}")
    exp = c.get_experiment_by_name("zhpipe")
    return c.search_runs([exp.experiment_id], max_results=1000)


def _zhpipe(proj, env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([BIN / "zhpipe", *args], cwd=proj, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"zhpipe {' '.join(args)}: {proc.stderr[-3000:]}"
    assert "oneDNN" not in proc.stderr and "absl" not in proc.stderr, proc.stderr
    return proc


def _use_every_model_from_a_fresh_process(proj, env):
    """Every model command, each in a new process, on the models the tiny pipeline trained."""
    line = "江泽民在北京欢迎你。"
    words = _zhpipe(proj, env, "segment", stdin=line + "\n").stdout.split()
    assert "".join(words) == line
    ner = json.loads(_zhpipe(proj, env, "ner", stdin=line + "\n").stdout)
    assert ner["text"] == line and isinstance(ner["entities"], list)
    upper = (proj / "data/prepared/couplet/test.tsv").read_text(encoding="utf-8").split("\t")[0]
    for model in ("seq2seq", "tagger"):
        lower = _zhpipe(proj, env, "couplet", upper, "--model", model).stdout.strip()
        assert len(lower.split()[-1]) == len(upper), (model, upper, lower)
    answers = _zhpipe(proj, env, "cloze", "data/prepared/cmrc2017/cloze.valid.doc_query",
                      "--answers", "data/prepared/cmrc2017/cloze.valid.answer")
    assert answers.stdout.count("|||") >= 1 and "accuracy" in answers.stderr
    for chars in ("5", "7"):
        poems = _zhpipe(proj, env, "poem", "-n", "3", "--chars", chars, "--seed", "1").stdout
        assert [len(x) for x in poems.split()] == [2 * int(chars) + 2] * 3, poems
    word = (proj / "data/word2vec/vocab.tsv").read_text(encoding="utf-8").split("\t")[0]
    assert _zhpipe(proj, env, "similar", word, "-n", "2").stdout.strip()
    # the own corpus's outputs: a segmenter that keeps the field's terms whole
    from zhpipe.corpus.demo import PLANTED

    terms = (proj / "data/own/demo/field_words.txt").read_text(encoding="utf-8").split()
    term = next(t for t in terms if t in PLANTED)
    line = f"检修人员更换了{term}。"
    out = _zhpipe(proj, env, "segment", "--lexicon", "data/own/demo/field_lexicon.tsv",
                  stdin=line + "\n").stdout.split()
    assert term in out, out
    # (the CRF segmenter, with the field's terms as lexicon flags)
    out = _zhpipe(proj, env, "segment", "--model", "crf", "--words",
                  "data/own/demo/field_words.txt", stdin=line + "\n").stdout.split()
    assert "".join(out) == line


def _a_failed_run_keeps_the_last_good_output(proj, env, params):
    """Issue 18: both runners deleted a stage's outputs before running it, so a params typo in
    the report section deleted reports/index.html (cache: false: no copy to restore). DVC now
    has persist: true; Snakemake has update() with zhpipe.snakemake_outputs, whose restore keeps
    the timestamps and the metadata of the run that made the outputs. Before that patch, a code
    edit made before the failed run no longer counted for Snakemake (fails on 5824bcc)."""
    outs = ("reports/index.html", "reports/README.md", "reports/metrics/report.json")
    keep = {f: ((proj / f).read_bytes(), (proj / f).stat().st_mtime_ns) for f in outs}
    code = proj / "stages/report.py"
    source = code.read_text(encoding="utf-8")
    code.write_text(source + "\n# edited before a failed run\n", encoding="utf-8")
    bad = {**params, "report": {**params["report"], "titel": "x"}}
    (proj / "params.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    for cmd in ([BIN / "snakemake", "--cores", "1"], [BIN / "dvc", "repro", "report"]):
        out = _run(cmd, proj, env, ok=False)
        assert "report.titel" in out, out[-2000:]  # the error names the key
        for f, (data, mtime) in keep.items():
            assert (proj / f).read_bytes() == data, (cmd[0].name, f)
            assert (proj / f).stat().st_mtime_ns == mtime, (cmd[0].name, f)
    (proj / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    # The old outputs still count as built from the old code: the edit is still to be run.
    dry = _run([BIN / "snakemake", "-n", "--cores", "1"], proj, env)
    assert "Updated input files: stages/report.py" in dry, dry[-3000:]
    assert set(json.loads(_run([BIN / "dvc", "status", "--json"], proj, env))) == {"report"}
    code.write_text(source, encoding="utf-8")  # and undone, nothing is to be run


def _the_runners_exclude_each_other(proj, env):
    """Issue 18: a DVC stage and a Snakemake run at once raced over one folder. Each now finds
    the other's lock and stops, naming the holder, before it touches anything."""
    from zhpipe import runlock

    page = (proj / "reports/index.html").read_bytes()
    fd = runlock.acquire(proj, "snakemake (the test stands in for it)")
    try:  # a stage run by DVC meets a Snakemake run
        out = _run([BIN / "dvc", "repro", "-f", "-s", "report"], proj, env, ok=False)
        assert "held by snakemake (the test stands in for it)" in out, out[-2000:]
    finally:
        runlock.release(fd)
    fd = runlock.acquire(proj, "stage report (dvc repro or a direct run)")
    try:  # Snakemake meets a stage run by DVC
        out = _run([BIN / "snakemake", "--cores", "1", "-f", "reports/index.html"], proj, env,
                   ok=False)
        assert "held by stage report" in out, out[-2000:]
    finally:
        runlock.release(fd)
    assert (proj / "reports/index.html").read_bytes() == page


@pytest.mark.slow
def test_snakemake_then_dvc_on_tiny_data(tmp_path, http_server):
    proj, env, params = tiny_project(tmp_path, http_server)

    # 1. Snakemake builds everything; DVC agrees afterwards; a second run of each does nothing.
    _run([BIN / "snakemake", "--cores", "2"], proj, env)
    assert (proj / "data/prepared/pd1998/train.seg.txt").exists()
    couplet = json.loads((proj / "reports/metrics/prepare/couplet.json").read_text())
    assert couplet["files"]["test.tsv"]["sentences"] == 2
    ca8 = json.loads((proj / "data/raw/ca8/MANIFEST.json").read_text())
    assert ca8["origin"] == "mirror"
    wiki = (proj / "data/prepared/zhwiki/raw.txt").read_text(encoding="utf-8")
    assert "北京是中华人民共和国的首都" in wiki  # the dump, streamed, simplified, markup gone
    sighan = json.loads((proj / "reports/metrics/download/sighan2005.json").read_text())
    assert sighan["unverified_files"] == 3 and sighan["missing_optional_files"] == 1
    vec = json.loads((proj / "reports/metrics/cloze_vectors.json").read_text())
    # the reader's own vectors, learnt from the training text alone (no validation text)
    assert vec["source"] == "own" and not vec["reads_validation_text"] and vec["words"] > 0
    cloze = json.loads((proj / "reports/metrics/train_cloze.json").read_text())
    assert cloze["vectors"]["used"] and not cloze["reads_validation_text"]
    items = json.loads((proj / "reports/metrics/cloze_items.json").read_text())
    assert items["items_by_source"]["cft_items"] > 0 and cloze["dev_items_source"] == "cft"
    page = (proj / "reports/index.html").read_text(encoding="utf-8")
    assert "Corpora" in page and "Downloads" in page and "corpus_sizes.png" in page
    runs = _mlflow_runs(proj)
    stage_runs = [r for r in runs if r.data.tags.get("zhpipe.stage") in STAGES]
    assert {r.data.tags["zhpipe.stage"] for r in stage_runs} == STAGES
    assert {r.data.tags["zhpipe.runner"] for r in stage_runs} == {"snakemake"}
    parents = {r.info.run_id for r in runs if r.data.tags.get("zhpipe.parent") == "true"}
    assert len(parents) == 1
    assert {r.data.tags["mlflow.parentRunId"] for r in stage_runs} == parents
    metrics = next(r for r in stage_runs if r.data.tags["zhpipe.stage"] == "prepare@couplet")
    assert metrics.data.metrics["files.test.tsv.sentences"] == 2
    # live runs, completed; the data each read as datasets; the models registered
    assert {r.info.status for r in stage_runs} == {"FINISHED"}
    seg_run = next(r for r in stage_runs if r.data.tags["zhpipe.stage"] == "train_seg")
    assert "data/prepared/pd1998" in {d.dataset.name for d in seg_run.inputs.dataset_inputs}
    assert any(k.startswith("seg.") for k in seg_run.data.metrics)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{proj / 'mlflow.db'}")
    assert {m.name for m in client.search_registered_models()} == MODELS
    own = json.loads((proj / "reports/metrics/own_corpus/demo.json").read_text())
    assert own["terms"]["count"] > 0 and "crf_field_flags" in own["kept_whole"]
    assert "Your own corpora" in page

    _use_every_model_from_a_fresh_process(proj, env)
    _a_failed_run_keeps_the_last_good_output(proj, env, params)
    _the_runners_exclude_each_other(proj, env)

    dry = _run([BIN / "snakemake", "-n", "--cores", "2"], proj, env)
    assert "Nothing to be done" in dry, dry[-3000:]
    assert "Data and pipelines are up to date" in _run([BIN / "dvc", "status"], proj, env)
    logged = len(_mlflow_runs(proj))  # the failed Snakemake run above has its parent run
    out = _run([BIN / "dvc", "repro"], proj, env)
    assert "Running stage" not in out
    assert len(_mlflow_runs(proj)) == logged

    # 2. One param changed: exactly the stage that reads it is out of date, for both runners.
    #    (A leaf stage's param, so that DVC reruns one stage; that mining never reads the gold
    #    segmentation is tests/unit/mining/test_nvbe.py's.)
    params["report"]["couplet_examples"] = 5
    (proj / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    dry = _run([BIN / "snakemake", "-n", "--cores", "2"], proj, env)
    changed = re.search(r"params have changed since last execution:\n\s+(.*)\n", dry)
    assert changed and changed.group(1).strip() == "report"
    status = json.loads(_run([BIN / "dvc", "status", "--json"], proj, env))
    assert set(status) == {"report"}

    # 3. DVC reruns exactly that stage, logged under a parent run of its own.
    out = _run([BIN / "dvc", "repro"], proj, env)
    ran = set(re.findall(r"Running stage '([^']+)'", out))
    assert ran == {"report"}
    dvc_runs = [r for r in _mlflow_runs(proj) if r.data.tags.get("zhpipe.runner") == "dvc"]
    stage_runs = [r for r in dvc_runs if r.data.tags["zhpipe.stage"] != "pipeline"
                  and r.info.status == "FINISHED"]  # (the failed run above is dvc's too)
    assert {r.data.tags["zhpipe.stage"] for r in stage_runs} == ran
    # the stages of this `dvc repro` share one parent run, as Snakemake's do
    parents = {r.info.run_id for r in dvc_runs if r.data.tags["zhpipe.stage"] == "pipeline"}
    assert len({r.data.tags["mlflow.parentRunId"] for r in stage_runs} & parents) == 1

    # 4. Back to Snakemake: `snakemake --touch` records DVC's work, then nothing is to do.
    _run([BIN / "snakemake", "--touch", "--cores", "1"], proj, env)
    assert "Nothing to be done" in _run([BIN / "snakemake", "-n", "--cores", "2"], proj, env)
    assert "Data and pipelines are up to date" in _run([BIN / "dvc", "status"], proj, env)

    # 4b. Code deps mean "can change an artefact": an edit to how runs are logged reruns
    #     nothing; an edit to a model's module, exactly its stage.
    for f, stages in (("src/zhpipe/tracking/live.py", set()),
                      ("src/zhpipe/couplet/train.py", {"train_couplet"})):
        source = (proj / f).read_text(encoding="utf-8")
        (proj / f).write_text(source + "\n# an edit\n", encoding="utf-8")
        assert set(json.loads(_run([BIN / "dvc", "status", "--json"], proj, env))) == stages, f
        dry = _run([BIN / "snakemake", "-n", "--cores", "2"], proj, env)
        assert ("Nothing to be done" in dry) == (not stages), dry[-2000:]
        (proj / f).write_text(source, encoding="utf-8")

    # 5. A DVC remote (a shared folder here; SSH or S3 the same way): the run pushed, a fresh
    #    clone pulls every model and uses it without retraining, and nothing is out of date.
    _run([BIN / "dvc", "remote", "add", "-d", "team", str(tmp_path / "dvc-remote")], proj, env)
    _run(["git", "add", "-A"], proj, env)
    _run(["git", "commit", "-qm", "a pipeline run"], proj, env)
    assert "pushed" in _zhpipe(proj, env, "remote", "push").stdout
    clone = tmp_path / "clone"
    _run(["git", "clone", "-q", str(proj), str(clone)], tmp_path, env)
    # the pull also records the pulled outputs for Snakemake (no `snakemake --touch` step)
    assert "recorded for Snakemake" in _zhpipe(clone, env, "remote", "pull").stdout
    assert "Data and pipelines are up to date" in _run([BIN / "dvc", "status"], clone, env)
    line = "江泽民在北京欢迎你。"  # the names tagger reads the pulled segmenter too
    assert json.loads(_zhpipe(clone, env, "ner", stdin=line + "\n").stdout)["text"] == line
    assert "Nothing to be done" in _run([BIN / "snakemake", "-n", "--cores", "2"], clone, env)
