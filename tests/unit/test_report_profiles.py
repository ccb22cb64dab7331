"""The report's quick-and-full table: this run's metrics beside the last full-profile bench line
of each stage."""

import json

from zhpipe.report.profiles import FULL_KEY, read_full, section_profiles


def test_quick_and_full_side_by_side(tmp_path):
    lines = [{"stage": "eval_word2vec", "metrics": {"ca8": {"coverage": 0.1}}, "wall_seconds": 1},
             {"stage": "eval_word2vec", "metrics": {"ca8": {"coverage": 0.52}}, "wall_seconds": 2,
              "command": "python bench/full_text.py --work W"},
             {"stage": "cloze_vectors", "metrics": {"valid_answers_covered": 81.5}}]
    path = tmp_path / "full.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + "\n", encoding="utf-8")
    full = read_full(path)
    assert full["eval_word2vec"]["wall_seconds"] == 2  # the last line of a stage wins
    metrics = {"eval_word2vec": {"ca8": {"coverage": 0.13}}, "word2vec": {"tokens": 3662109},
               FULL_KEY: full}
    sec = section_profiles(metrics, tmp_path)
    table = dict(sec.tables)["Side by side"].set_index("figure")
    assert table.loc["CA8 coverage, %"].tolist() == ["13", "52"]
    assert table.loc["Word2Vec: tokens"].tolist() == ["3,662,109", "-"]
    assert table.loc["cloze vectors: validation answers covered, %"].tolist() == ["-", "81.5"]
    assert section_profiles({FULL_KEY: read_full(tmp_path / "none.jsonl")}, tmp_path) is None
