"""The couplet form score, the fair test's parts and the nearest-neighbour floor."""

from collections import namedtuple

import pytest

from zhpipe.couplet import form
from zhpipe.couplet.baselines import floors
from zhpipe.couplet.metrics import fair_scores, reference_form

Pair = namedtuple("Pair", "word flag")


class FakeTagger:
    """Segments by a table of words (the rest one character each), all tagged by the table."""

    WORDS = {"春风": "n", "得意": "a", "秋月": "n", "无边": "v", "明月": "n", "清风": "n"}

    def cut(self, line, HMM=True):  # noqa: N803 (jieba's keyword)
        i = 0
        while i < len(line):
            two = line[i:i + 2]
            if two in self.WORDS:
                yield Pair(two, self.WORDS[two])
                i += 2
            else:
                yield Pair(line[i], "x" if not form.is_han(line[i]) else "n")
                i += 1


@pytest.fixture
def fake_tagger(monkeypatch):
    monkeypatch.setattr(form, "_tagger", FakeTagger)
    form.read.cache_clear()
    yield
    form.read.cache_clear()


def test_tones_by_hand():
    assert form.tones("天高云淡") == "平平平仄"
    assert form.tones("海阔风轻") == "仄仄平平"
    assert form.tones("天，A") == "平??"  # one mark per character, whatever pypinyin answers


def test_a_good_pair_keeps_every_rule(fake_tagger):
    f = form.pair_form("春风得意", "秋月无边")
    # 意 yi4 oblique, 边 bian1 level; even positions 风/月 (平/仄) and 意/边 (仄/平) opposed
    assert f["tone_end"] == 1 and f["tone_even"] == 1
    assert f["boundaries"] == 1  # 春风|得意 against 秋月|无边
    assert f["pos"] == 0.5  # 春风/秋月 both n; 得意 a against 无边 v
    assert f["length_punct"] == 1 and f["repetition"] == 1
    assert f["form"] == pytest.approx((1 + 1 + 1 + 1 + 0.5 + 1) / 6)


def test_broken_rules_count_against(fake_tagger):
    f = form.pair_form("春风得意", "明月清水")  # 水 shui3: both lines end oblique
    assert f["tone_end"] == 0
    assert f["tone_even"] == 0.5  # 风/月 (平/仄) opposed, 意/水 (仄/仄) not
    f = form.pair_form("春风得意", "春风春风")
    assert f["repetition"] == 0 and f["boundaries"] == 1
    f = form.pair_form("春风，得意", "秋月无边")  # different length: nothing lines up
    assert f["length_punct"] == 0 and f["form"] == 0
    f = form.pair_form("春风，得意", "秋月。无边")  # punctuation must be the same marks
    assert f["length_punct"] == 0


def test_boundaries_are_the_share_of_gaps_that_agree(fake_tagger):
    # 春风|得意: one inner boundary, at gap 2 (of gaps 1, 2, 3)
    f = form.pair_form("春风得意", "明月清无")  # 明月|清|无: gaps 2, 3; agree at 1 and 2
    assert f["boundaries"] == pytest.approx(2 / 3)
    f = form.pair_form("春风得意", "日夜天地")  # 日|夜|天|地: gaps 1, 2, 3; agree at 2 only
    assert f["boundaries"] == pytest.approx(1 / 3)


def test_scores_are_means_in_percent(fake_tagger):
    s = form.form_scores(["春风得意", "春风得意"], ["秋月无边", "春风春风"])
    assert s["form_repetition"] == 50 and s["form_length_punct"] == 100
    assert set(s) == {f"form_{p}" for p in form.PROPERTIES} | {"form"}


def test_fair_scores_split_seen_and_novel():
    uppers, refs = ["天高", "春风", "明月"], ["地厚", "秋月", "清风"]
    hyps = ["地厚", "秋雨", "白云"]
    s = fair_scores(uppers, refs, hyps, [True, False, False])
    assert s["pairs"] == 3 and s["seen"]["pairs"] == 1 and s["novel"]["pairs"] == 2
    assert s["seen"]["exact_match"] == 100 and s["novel"]["exact_match"] == 0
    assert "novel" not in fair_scores(uppers, refs, hyps, [True] * 3)
    r = reference_form(uppers, refs, [True, False, False])
    assert r["seen"]["pairs"] == 1 and r["form"] is not None


def test_the_nearest_floor_answers_the_closest_line_of_the_same_length():
    train = [("天高云淡", "海阔风轻"), ("春风得意", "秋月无边"), ("春风", "秋雨"),
             ("明月清风", "青山绿水")]
    got = floors(train, ["春风得志", "天高云淡", "明月", "雨"])["nearest"]
    assert got[0] == "秋月无边"  # three of four characters shared
    assert got[1] == "海阔风轻"  # seen: its own lower line
    assert got[2] == "秋雨"  # the only 2-character line
    assert len(got[3]) == 1  # no 1-character line: the lookup table answers
