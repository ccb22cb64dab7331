"""A user's own corpus: ingest (catalogue ``local``), field terms against general text, a
segmenter that keeps them whole, the DAG's extra stages, the report section."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from zhpipe.corpus.demo import PLANTED, PLANTED_LONG, field_document, field_lines, general_lines
from zhpipe.corpus.local import LocalDataset, ingest, resolve
from zhpipe.corpus.text import CorpusError
from zhpipe.mining.discover import mine
from zhpipe.mining.domain import (
    OwnCorpusParams,
    domain_terms,
    field_lexicon,
    field_terms,
    joined,
    kept_whole,
    neighbour_entropy,
    subsumed,
    term_form,
    word_counts,
)
from zhpipe.mining.params import MiningParams
from zhpipe.mining.segmenter import UnigramSegmenter

ROOT = Path(__file__).resolve().parents[3]


def _planted_ranking():
    field, general = field_lines(2000), general_lines(2000)
    lex = mine(lambda: iter([field]), MiningParams())
    seg = lex.segmenter()
    rows = domain_terms(word_counts(seg.segment_lines(field, restore=False)),
                        word_counts(seg.segment_lines(general, restore=False)))
    return field, general, rows


def test_planted_terms_rank_first_and_the_field_lexicon_keeps_them_whole():
    field, general, rows = _planted_ranking()
    top = [w for w, *_ in rows[:len(PLANTED)]]
    assert set(top) == set(PLANTED), rows[:20]
    assert all(cb == 0 for _, _, cb, _ in rows[:len(PLANTED)])  # never in the general text
    assert rows[len(PLANTED)][3] < rows[len(PLANTED) - 1][3] - 2  # a clear gap after them
    general_lex = mine(lambda: iter([general]), MiningParams()).as_counts()
    before = UnigramSegmenter.from_counts(general_lex)
    counts = word_counts(mine(lambda: iter([field]), MiningParams()).segmenter()
                         .segment_lines(field, restore=False))
    after = UnigramSegmenter.from_counts(field_lexicon(general_lex, top, counts,
                                                       sum(counts.values())))
    kept_before, n = kept_whole(before.segment_lines, field[:300], PLANTED)
    kept_after, n2 = kept_whole(after.segment_lines, field[:300], PLANTED)
    assert n == n2 > 300
    assert kept_after == n and kept_before < n / 2  # the general lexicon breaks them


def test_long_terms_stay_whole_and_markup_never_ranks():
    """A field's documents: eight-character terms that mining (words of at most six characters)
    cuts in pieces, and Markdown. The ranked terms hold the long terms whole, no markup, no
    piece of a long term."""
    field, general = field_document(3000), general_lines(3000)
    seg = mine(lambda: iter([field]), MiningParams()).segmenter()
    pieces = {w for ws in seg.segment_lines(field, restore=False) for w in ws
              if any(w != t and w in t for t in PLANTED_LONG)}
    assert pieces  # mining alone cuts them
    terms, _, filtered = field_terms(field, seg, [general], OwnCorpusParams())
    words = [w for w, *_ in terms]
    assert set(words[:len(PLANTED) + len(PLANTED_LONG)]) == set(PLANTED) | set(PLANTED_LONG)
    assert all(term_form(w) for w in words)
    # no piece of a long term ranks (变压器, a planted term of its own, is not a piece)
    assert not any(w != t and w in t and w not in PLANTED for w in words for t in PLANTED_LONG)
    assert filtered["joins"] >= len(PLANTED_LONG)


def test_term_form_and_fragments():
    assert term_form("变压器") and term_form("\ue001基站") and term_form("地方性法规案")
    for bad in ("##", "--", "变", "\ue000万元", "十日内", "处二", "处一千元以上", "不服的",
                "本办法", "市和区", "以上不满"):
        assert not term_form(bad), bad
    # 以下罚款 always after 元: no left entropy; 特种设备 after many characters
    text = "\n".join(["处五万元以下罚款。"] * 5 + ["对特种设备检查", "的特种设备，", "和特种设备"])
    ent = neighbour_entropy(text, ["以下罚款", "特种设备"])
    assert ent["以下罚款"][0] == 0.0 and ent["特种设备"][0] > 1.0
    assert ent["以下罚款"][1] > 1.0  # a line end is a new neighbour every time
    # 权人 occurs mostly inside longer words of the field
    text = "债权人。所有权人。抵押权人。债权人。权人"
    assert subsumed(text, ["权人", "债权人"], ["债权人", "所有权人", "抵押权人"]) == {"权人"}
    # pieces that always occur together are joined, rounds after rounds
    segs = [["地方性法", "规案", w] for w in ("审议", "通过", "表决", "公布", "修改", "提请")]
    out, joins = joined(segs + [["提请", "规案"]], 5, 0.8, 10, 2)
    assert out[0] == ["地方性法规案", "审议"] and list(joins) == [("地方性法", "规案")]


def test_kept_whole_counts_boundaries():
    def seg(lines):
        return [["变压", "器", "和", "断路器"] for _ in lines]

    assert kept_whole(seg, ["变压器和断路器"], ["变压器", "断路器"]) == (1, 2)
    assert kept_whole(seg, ["变压器和断路器"], ["器和"]) == (0, 1)


def test_ingest_records_and_refuses_bad_files(tmp_path):
    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("变压器 发热。\r\n\n断路器ＡＢ１２\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("\ufeff继电保护动作\n", encoding="utf-8")
    (folder / "notes.md").write_text("不读\n", encoding="utf-8")
    files = resolve(LocalDataset(path=str(folder)), tmp_path, "mine")
    assert [f.name for f in files] == ["a.txt", "b.txt"]
    m = ingest(files, tmp_path / "out", 2000, tmp_path)
    assert (tmp_path / "out" / "raw.txt").read_text(encoding="utf-8") == \
        "变压器发热。\n断路器AB12\n继电保护动作\n"
    manifest = json.loads((tmp_path / "out" / "MANIFEST.json").read_text())["files"]
    assert [x["file"] for x in manifest] == ["mine/a.txt", "mine/sub/b.txt"]
    assert all(len(x["sha256"]) == 64 for x in manifest) and m["characters"] == 19
    assert resolve(LocalDataset(path="mine/a.txt"), tmp_path, "x") == [folder / "a.txt"]

    with pytest.raises(CorpusError, match="path .* does not exist"):
        resolve(LocalDataset(path="nowhere"), tmp_path, "x")
    with pytest.raises(CorpusError, match=r"no file .* matches glob '\*\.csv'"):
        resolve(LocalDataset(path=str(folder), glob="*.csv"), tmp_path, "x")
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("变压器\n".encode("gb18030"))
    with pytest.raises(CorpusError, match=r"gbk.txt:1: not UTF-8"):
        ingest([bad], tmp_path / "o2", 2000)
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"%PDF-1.4\x00\x01\x02")
    with pytest.raises(CorpusError, match=r"scan.txt: binary data"):
        ingest([binary], tmp_path / "o3", 2000)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty.txt: the file is empty"):
        ingest([empty], tmp_path / "o4", 2000)


def _project(tmp_path: Path) -> Path:
    """A project folder with the repository's params and catalogue plus one local corpus."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "params.yaml").write_text((ROOT / "params.yaml").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    cat = yaml.safe_load((ROOT / "catalogue.yaml").read_text(encoding="utf-8"))
    (tmp_path / "grid.txt").write_text("\n".join(field_lines(2000)) + "\n", encoding="utf-8")
    cat["local"] = {"grid": {"path": str(tmp_path / "grid.txt"), "description": "demo"}}
    (proj / "catalogue.yaml").write_text(yaml.safe_dump(cat, allow_unicode=True),
                                         encoding="utf-8")
    return proj


def test_own_corpus_stages_find_the_planted_terms_and_report_them(tmp_path, monkeypatch):
    proj = _project(tmp_path)
    monkeypatch.chdir(proj)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    sys.path.insert(0, str(ROOT / "stages"))
    import ingest as ingest_stage
    import own_corpus as own_stage

    ingest_stage.main(["grid", "prep", "metrics/ingest/grid.json"])
    general = general_lines(2000)
    (proj / "general.txt").write_text("\n".join(general) + "\n", encoding="utf-8")
    from zhpipe.mining.lexicon_io import write_lexicon

    glex = mine(lambda: iter([general]), MiningParams())
    write_lexicon(glex, proj / "general.tsv")
    (proj / "general.seg.txt").write_text("\n".join(" ".join(ws) for ws in
                                                    glex.segmenter().segment_lines(general)))
    own_stage.main(["grid", "--own", "prep/raw.txt", "--general", "general.txt",
                    "--general-lexicon", "general.tsv", "--general-segmented",
                    "general.seg.txt", "--out", "own", "--metrics",
                    "metrics/own_corpus/grid.json"])
    m = json.loads((proj / "metrics/own_corpus/grid.json").read_text())
    assert {t["word"] for t in m["terms"]["top"][:len(PLANTED)]} == set(PLANTED)
    assert m["kept_whole"]["field_lexicon"] == 100.0
    assert m["kept_whole"]["general_lexicon"] < 50
    assert "crf" not in m["kept_whole"]  # no --crf given
    assert m["samples"] and set(m["samples"][0]) == {"general_lexicon", "field_lexicon"}
    # nearest words of the top terms (in this made-up text equipment and everyday nouns fill
    # the same slots, so which words are near says little; the pipeline run shows real ones)
    near = m["vectors"]["neighbours"]
    assert len(near) == 8 and all(len(ns) == 6 and all(-1 <= s <= 1 for _, s in ns)
                                  for ns in near.values())
    words = (proj / "own/field_words.txt").read_text(encoding="utf-8").split()
    assert set(words[:len(PLANTED)]) == set(PLANTED)

    # the outputs in use: `zhpipe segment` with the field lexicon, or with the words added
    line = "昨天下午检修人员更换了母线槽和互感器。\n"
    for extra in (["--lexicon", "own/field_lexicon.tsv"],
                  ["--lexicon", "general.tsv", "--words", "own/field_words.txt"]):
        out = subprocess.run([sys.executable, "-m", "zhpipe.cli", "segment", *extra],
                             input=line, capture_output=True, text=True, check=True).stdout
        assert {"母线槽", "互感器"} <= set(out.split()), out
    out = subprocess.run([sys.executable, "-m", "zhpipe.cli", "segment", "--lexicon",
                          "general.tsv"], input=line, capture_output=True, text=True).stdout
    assert "母线槽" not in out.split()

    from zhpipe.report.build import build_report

    build_report(proj / "metrics", proj / "report", "t")
    md = (proj / "report/README.md").read_text(encoding="utf-8")
    assert "## Your own corpora" in md and "grid: top terms" in md and "母线槽" in md


def test_the_dag_gets_the_own_corpus_stages_only_when_one_is_set(tmp_path, monkeypatch):
    proj = _project(tmp_path)
    monkeypatch.chdir(proj)  # stage names as DVC gives them from the project
    (proj / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text(encoding="utf-8"),
                                   encoding="utf-8")
    subprocess.run([str(Path(sys.executable).with_name("dvc")), "init", "--no-scm", "-q"],
                   cwd=proj, check=True)
    from zhpipe.dag import load_stages

    stages = {s.name: s for s in load_stages(proj)}
    assert {"ingest@grid", "own_corpus@grid"} <= set(stages)
    assert str(tmp_path / "grid.txt") in stages["ingest@grid"].deps  # a changed file reruns
    assert "data/prepared/own/grid" in stages["own_corpus@grid"].deps
    assert "reports/metrics/own_corpus/grid.json" in stages["report"].deps
    cat = yaml.safe_load((proj / "catalogue.yaml").read_text(encoding="utf-8"))
    cat["local"] = {}
    (proj / "catalogue.yaml").write_text(yaml.safe_dump(cat, allow_unicode=True),
                                         encoding="utf-8")
    names = {s.name for s in load_stages(proj)}
    assert not any(n.startswith(("ingest@", "own_corpus@")) for n in names)
    assert "report" in names


def test_a_bad_local_entry_is_named():
    from zhpipe.corpus.catalogue import Catalogue
    from zhpipe.params import ParamsError, read_params, validate

    data = read_params(ROOT / "catalogue.yaml")
    with pytest.raises(ParamsError, match="local.pd1998: the name of a public dataset"):
        validate(Catalogue, {**data, "local": {"pd1998": {"path": "x"}}}, "", "catalogue.yaml")
    with pytest.raises(ParamsError, match="local.grid.pth"):
        validate(Catalogue, {**data, "local": {"grid": {"pth": "x"}}}, "", "catalogue.yaml")
