"""CFT (children's stories) as cloze training data: its format, the stories behind its items,
the removal of CMRC 2017 validation sentences, items generated from untagged stories."""

import pytest

from zhpipe.cloze.cft import by_story, drop_overlap, read_cft, story, validation_sentences
from zhpipe.cloze.data import BLANK, read_answers, read_doc_query
from zhpipe.cloze.generate import GeneratorOptions, generate_passages
from zhpipe.corpus.tasks import parse_cft, prepare_cft
from zhpipe.corpus.text import CorpusError

# the auto file: the query is a question after the story; the human file: the blanked sentence
# stands in the story too
AUTO = """1 ||| 小 猫 有 一 双 圆溜溜 的 眼睛 。
2 ||| 小 猫 的 耳朵 很 灵敏 。
3 ||| 小 猫 的 尾巴 毛茸茸 的 。
4 ||| 文章 写 了 小 猫 的 眼睛 、 XXXXX 和 尾巴 。 ||| 耳朵
1 ||| 小 猫 有 一 双 圆溜溜 的 眼睛 。
2 ||| 小 猫 的 耳朵 很 灵敏 。
3 ||| 小 猫 的 尾巴 毛茸茸 的 。
4 ||| 小 猫 没有 XXXXX 。 ||| 翅膀
"""
HUMAN = """1 ||| 太阳 娃娃 喜欢 吹 白云 玩儿 。
2 ||| 她 把 一 朵 XXXXX 吹 进 海里 。
3 ||| 白云 变成 了 小白兔 。
4 ||| 狐狸 跑 过来 看 白云 。
5 ||| 她 把 一 朵 XXXXX 吹 进 海里 。 ||| 白云
"""


def _raw(tmp_path, auto=AUTO, human=HUMAN):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "cft.test.auto").write_text(auto, encoding="utf-8")
    (raw / "cft.test.human").write_text(human, encoding="utf-8")
    return raw


def test_prepare_writes_cmrc_files_and_counts(tmp_path):
    out = tmp_path / "cft"
    out.mkdir()
    rows = prepare_cft(_raw(tmp_path), out, None, 2000)
    auto = read_doc_query(out / "cft.auto.doc_query")
    answers = read_answers(out / "cft.auto.answer")
    assert [it.qid for it in auto] == ["<qid_cft_auto_0>", "<qid_cft_auto_1>"]
    assert answers == {"<qid_cft_auto_0>": "耳朵", "<qid_cft_auto_1>": "翅膀"}
    assert auto[0].query.count(BLANK) == 1 and len(auto[0].passage) == 3
    row = next(r for r in rows if r["file"] == "cft.auto.doc_query")
    assert row["items"] == 2 and row["answer_not_in_passage"] == 1  # 翅膀: unanswerable here
    items = read_cft(out)
    assert len(items) == 3 and {it.meta["file"] for it in items} == {"cft.auto", "cft.human"}


def test_malformed_cft_lines_name_the_line_or_are_counted(tmp_path):
    bad = tmp_path / "cft.test.auto"
    bad.write_text("1 ||| 小 猫 。\n2 小 猫 没有 尾巴 。\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"cft.test.auto:2: expected"):
        parse_cft(bad, "auto")
    bad.write_text("1 ||| 小 猫 。\n", encoding="utf-8")  # the story never gets its query
    with pytest.raises(CorpusError, match=r"cft.test.auto:1: story .* no query line"):
        parse_cft(bad, "auto")
    # a query without the blank, and a query with no story before it: skipped and counted
    bad.write_text("1 ||| 小 猫 。\n2 ||| 小 猫 叫 。 ||| 猫\n1 ||| 看 XXXXX 。 ||| 猫\n",
                   encoding="utf-8")
    doc, answers, stats = parse_cft(bad, "auto")
    assert stats["skipped_no_blank"] == 1 and stats["skipped_empty_passage"] == 1
    assert stats["items"] == 0 and answers == [] and doc == []


def test_a_sentence_of_a_validation_passage_is_removed(tmp_path):
    out = tmp_path / "cft"
    out.mkdir()
    prepare_cft(_raw(tmp_path), out, None, 2000)
    items = read_cft(out)
    cmrc = tmp_path / "cmrc"
    cmrc.mkdir()
    # the validation set holds the CFT sentence 小猫的耳朵很灵敏。 segmented differently, and
    # its blanked sentence is a CFT sentence once filled in; 是啊！ is too short to count
    (cmrc / "cloze.valid.doc_query").write_text(
        "1 ||| 小猫 的 耳朵 很 灵敏 。\n2 ||| 太阳 娃娃 喜欢 吹 XXXXX 玩儿 。\n3 ||| 是啊 ！\n"
        "<qid_0> ||| 太阳 娃娃 喜欢 吹 XXXXX 玩儿 。\n", encoding="utf-8")
    (cmrc / "cloze.valid.answer").write_text("<qid_0> ||| 白云\n", encoding="utf-8")
    banned = validation_sentences(cmrc / "cloze.valid.doc_query", cmrc / "cloze.valid.answer")
    assert "小猫的耳朵很灵敏。" in banned and "太阳娃娃喜欢吹白云玩儿。" in banned
    assert "是啊！" not in banned
    kept, info = drop_overlap(items, banned)
    assert info == {"items_dropped": 0, "passage_sentences_dropped": 3}
    text = {"".join(s) for it in kept for s in story(it)}
    assert not text & banned and "小猫的尾巴毛茸茸的。" in text
    # a query sentence of the validation set: the item goes
    (cmrc / "cloze.valid.doc_query").write_text(
        "1 ||| 小 猫 没有 翅膀 。\n<qid_0> ||| 小 猫 没有 XXXXX 。\n", encoding="utf-8")
    (cmrc / "cloze.valid.answer").write_text("<qid_0> ||| 翅膀\n", encoding="utf-8")
    banned = validation_sentences(cmrc / "cloze.valid.doc_query", cmrc / "cloze.valid.answer")
    kept, info = drop_overlap(read_cft(out), banned)
    assert info["items_dropped"] == 1 and len(kept) == 2


def test_items_of_one_story_group_together_and_stories_are_filled_in(tmp_path):
    out = tmp_path / "cft"
    out.mkdir()
    prepare_cft(_raw(tmp_path), out, None, 2000)
    groups = by_story(read_cft(out))
    assert [len(g) for g in groups.values()] == [2, 1]  # both auto items: one story
    human = list(groups.values())[1][0]
    st = story(human)
    assert ["她", "把", "一", "朵", "白云", "吹", "进", "海里", "。"] in st
    assert all(BLANK not in s for s in st) and len(st) == 4  # the query is not added twice


def test_items_generated_from_untagged_stories_always_have_their_answer_in_the_passage():
    stories = [[["小", "熊", "在", "河", "边", "钓鱼", "。"], ["狐狸", "来", "找", "小", "熊", "。"],
                ["小", "熊", "把", "鱼", "给", "了", "狐狸", "。"], ["狐狸", "说", "谢谢", "。"]]
               for _ in range(30)]
    passages = [[[(w, None) for w in s] for s in st] for st in stories]
    items, info = generate_passages(passages, GeneratorOptions(items_per_passage=4,
                                                              skip_top_words=3))
    assert items and info["passages"] == 30
    for it in items:
        assert it.query.count(BLANK) == 1 and it.answer in it.tokens
        assert it.answer not in it.query and it.query in it.passage
    assert not {it.answer for it in items} & {"小", "。", "熊"}  # the 3 most frequent words
