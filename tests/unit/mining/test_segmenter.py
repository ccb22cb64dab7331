import itertools
import random

import numpy as np
import pytest

from zhpipe.mining.segmenter import UnigramSegmenter


def _brute_best(text, logp, unk):
    """Best segmentation by enumerating all 2^(n-1) ways to cut ``text``."""
    best, arg = -np.inf, None
    for cuts in itertools.product([0, 1], repeat=len(text) - 1):
        words, cur = [], text[0]
        for c, ch in zip(cuts, text[1:], strict=True):
            if c:
                words.append(cur)
                cur = ch
            else:
                cur += ch
        words.append(cur)
        score = 0.0
        for w in words:
            if w in logp:
                score += logp[w]
            elif len(w) == 1:
                score += unk
            else:
                score = -np.inf
                break
        if score > best + 1e-12:
            best, arg = score, words
    return best, arg


@pytest.mark.parametrize("seed", range(5))
def test_viterbi_matches_brute_force(seed):
    rng = random.Random(seed)
    chars = "甲乙丙丁戊"
    counts = {"".join(rng.choice(chars) for _ in range(rng.randint(1, 4))): rng.randint(1, 50)
              for _ in range(25)}
    seg = UnigramSegmenter.from_counts(counts)
    logp = dict(zip(seg.words, seg.logprobs, strict=True))
    texts = ["".join(rng.choice(chars) for _ in range(rng.randint(1, 11))) for _ in range(30)]
    got = seg.segment_lines(texts)
    for text, words in zip(texts, got, strict=True):
        assert "".join(words) == text
        best, _ = _brute_best(text, logp, seg.unk_logprob)
        score = sum(logp.get(w, seg.unk_logprob) for w in words)
        assert score == pytest.approx(best)


def test_text_rules_edge_cases():
    seg = UnigramSegmenter.from_counts({"北京": 10, "欢迎": 8, "你": 5, "\ue000年": 6})
    assert seg.segment("") == []
    assert seg.segment("，。！") == ["，", "。", "！"]
    assert seg.segment("——……") == ["——", "……"]
    assert seg.segment("北京欢迎你") == ["北京", "欢迎", "你"]
    assert seg.segment("1998年iPhone4北京") == ["1998年", "iPhone4", "北京"]
    assert seg.segment(" 北京　欢迎 ") == ["北京", "欢迎"]
    assert seg.segment("未知字") == ["未", "知", "字"]
    assert seg.segment_lines(["北京", "", "，"]) == [["北京"], [], ["，"]]


def test_words_longer_than_the_limit_are_not_used():
    seg = UnigramSegmenter.from_counts({"一二三四五": 100, "一": 1, "二": 1, "三": 1, "四": 1,
                                        "五": 1}, max_word_len=4)
    assert seg.segment("一二三四五") == ["一", "二", "三", "四", "五"]


@pytest.mark.parametrize("seed", range(3))
def test_compiled_and_numpy_viterbi_agree(seed):
    from zhpipe.mining._kernels import viterbi_starts

    if viterbi_starts is None:
        pytest.skip("numba is not installed")
    rng = random.Random(seed)
    chars = "甲乙丙丁戊己庚"
    counts = {"".join(rng.choice(chars) for _ in range(rng.randint(1, 5))): rng.randint(1, 50)
              for _ in range(40)}
    seg = UnigramSegmenter.from_counts(counts)
    text = "，".join("".join(rng.choice(chars) for _ in range(rng.randint(0, 30)))
                    for _ in range(200))
    dense = seg.encode_text(text)
    np.testing.assert_array_equal(seg.word_starts(dense, compiled=True),
                                  seg.word_starts(dense, compiled=False))


def test_expected_counts_by_forward_backward():
    from zhpipe.mining._kernels import span_posteriors

    if span_posteriors is None:
        pytest.skip("numba is not installed")
    # p(甲) = p(乙) = 1/4, p(甲乙) = 1/2: 甲|乙 has weight 1/16, 甲乙 weight 1/2
    seg = UnigramSegmenter(["甲", "乙", "甲乙"], np.log([0.25, 0.25, 0.5]), unk_logprob=-20.0)
    counts = seg.expected_counts(seg.encode_text("甲乙，甲乙"))
    z = 1 / 16 + 1 / 2
    assert counts["甲乙"] == pytest.approx(2 * 0.5 / z)
    assert counts["甲"] == pytest.approx(2 * (1 / 16) / z)
    assert counts["乙"] == pytest.approx(2 * (1 / 16) / z)


@pytest.mark.parametrize("seed", range(3))
def test_compiled_counts_match_the_numpy_path(seed):
    """The fused kernel (hash look-ups inside the Viterbi) counts exactly what the NumPy
    look-ups and span counting count, unknown characters and number units included."""
    from zhpipe.mining.ngrams import encode

    rng = random.Random(seed)
    chars = "甲乙丙丁戊己庚辛壬癸"
    counts = {"".join(rng.choice(chars[:7]) for _ in range(rng.randint(1, 6))): rng.randint(1, 50)
              for _ in range(60)}
    counts.update({"\ue000年": 7, **{c: 3 for c in chars[:8]}})
    seg = UnigramSegmenter.from_counts(counts, max_word_len=5)
    if seg._hash is None:
        pytest.skip("numba is not installed")
    lines = ["".join(rng.choice(chars + "，12") for _ in range(rng.randint(0, 40)))
             for _ in range(300)]
    codes = encode(lines)
    dense = seg.dense_codes(codes)
    fast = seg.viterbi_counts(dense, codes)
    table, seg._hash = seg._hash, None
    slow = seg.viterbi_counts(dense, codes)
    def known(c):
        return {w: n for w, n in c.items() if w not in "壬癸"}

    assert known(fast) == known(slow) and any(len(w) > 1 for w in fast)
    assert fast["壬"] + fast["癸"] == sum(n for w, n in slow.items() if w in "壬癸")
    seg._hash = table
    fast_lines = seg.segment_lines(lines)
    seg._hash = None
    assert fast_lines == seg.segment_lines(lines)
    seg._hash = table
    # characters outside the lexicon are counted one by one (the NumPy path lumps them)
    unknown = np.isin(codes, [ord("壬"), ord("癸")])
    assert fast["壬"] + fast["癸"] == unknown.sum() and fast["壬"] == (codes == ord("壬")).sum()
