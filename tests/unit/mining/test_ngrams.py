import random
from collections import Counter

import numpy as np

from zhpipe.mining.ngrams import DIGITS, LATIN, count_lines, encode, load, merge, save, segments


def _naive(lines, n):
    c = Counter()
    for line in lines:
        for seg in segments(line):
            for i in range(len(seg) - n + 1):
                c[seg[i:i + n]] += 1
    return dict(c)


def test_segments_cut_at_punctuation_and_fold_alnum_runs():
    assert segments("2001年，我们去了NBA赛场。3.5％") == [f"{DIGITS}年", f"我们去了{LATIN}赛场",
                                                       DIGITS]
    assert segments("  ，。 ") == []
    assert segments("") == []


def test_counts_match_a_naive_count_and_never_cross_cuts():
    lines = ["北京欢迎你，北京欢迎他。", "欢迎北京", "", "北京2008年奥运会"]
    tables = count_lines(lines, 4)
    for n in range(1, 5):
        assert tables[n].as_dict() == _naive(lines, n)
    assert "你北" not in tables[2].as_dict()  # across the comma
    assert tables[2].as_dict()["北京"] == 4
    assert tables[1].total() == sum(len(s) for line in lines for s in segments(line))


def test_sharded_count_equals_unsharded_exactly(tmp_path):
    rng = random.Random(0)
    alphabet = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"
    lines = ["".join(rng.choice(alphabet + "，") for _ in range(rng.randint(0, 60)))
             for _ in range(400)]
    whole = count_lines(lines, 6)
    shards = [count_lines(lines[i::3], 6) for i in range(3)]
    for i, shard in enumerate(shards):
        save(shard, tmp_path / f"shard{i}.npz")
    loaded = [load(tmp_path / f"shard{i}.npz") for i in range(3)]
    for n in range(1, 7):
        merged = merge(s[n] for s in loaded)
        np.testing.assert_array_equal(merged.grams, whole[n].grams)
        np.testing.assert_array_equal(merged.counts, whole[n].counts)


def test_encode_separates_segments_with_zero():
    codes = encode(["北京，你"])
    assert codes.tolist() == [ord("北"), ord("京"), 0, ord("你")]


def test_wide_alphabet_high_order_uses_the_exact_fallback():
    rng = random.Random(1)
    lines = ["".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(50)) for _ in range(60)]
    lines.append(lines[0][:20] * 2)
    tables = count_lines(lines, 6)  # 12-bit ids x 6 > 64 bits: byte-string comparison
    assert tables[6].as_dict() == _naive(lines, 6)
    assert tables[5].as_dict() == _naive(lines, 5)


def test_a_text_without_any_cut_counts_every_character():
    """One line, no punctuation: the smallest code point used to be taken for the cut."""
    tables = count_lines(["甲乙丙"], 2)
    assert tables[1].as_dict() == {"甲": 1, "乙": 1, "丙": 1}
    assert tables[2].as_dict() == {"甲乙": 1, "乙丙": 1}


def test_subtracting_a_part_leaves_the_counts_of_the_rest():
    from zhpipe.mining.ngrams import count_lines, subtract

    rest, part = ["北京欢迎你", "你好北京"], ["北京大学", "欢迎"]
    whole = count_lines(rest + part, 3)
    alone = count_lines(rest, 3)
    got = {n: subtract(whole[n], count_lines(part, 3)[n]) for n in whole}
    assert all(got[n].as_dict() == alone[n].as_dict() for n in whole)
    # a row that would go negative (counted in the part, not in the table) is dropped
    assert subtract(count_lines(["北京"], 2)[2], count_lines(["上海"], 2)[2]).as_dict() == \
        {"北京": 1}


def test_forked_work_returns_its_result_or_its_error():
    import pytest

    from zhpipe.corpus.text import CorpusError
    from zhpipe.mining.parallel import Forked

    big = list(range(100_000))  # the child sees the parent's memory without pickling it
    assert Forked(lambda: sum(big)).get() == sum(big)
    assert Forked(lambda: sum(big), run_here=True).get() == sum(big)

    def fail():
        raise CorpusError("data/x.txt: not UTF-8")

    with pytest.raises(CorpusError, match="not UTF-8"):
        Forked(fail).get()
