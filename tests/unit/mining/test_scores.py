import math

import numpy as np
import pytest

from zhpipe.mining.scores import code_length, cohesion, entropy, pmi, removal_gain


def test_pmi_hand_computed():
    # N = 100, c(w) = 10, c(left) = 20, c(right) = 10: log(100 * 10 / 200) = log 5
    assert pmi(10, 20, 10, 100) == pytest.approx(math.log(5))
    assert pmi([1], [10], [10], 100)[0] == pytest.approx(0.0)  # independent parts


def test_cohesion_is_the_weakest_split():
    # 的中国: 的|中国 log(1000*5/(300*20)) and 的中|国 log(1000*5/(6*40))
    got = cohesion([5], [([300], [20]), ([6], [40])], 1000)
    assert got[0] == pytest.approx(math.log(1000 * 5 / (300 * 20)))


def test_entropy_per_group():
    h = entropy([1, 1, 4, 2, 1, 1], [0, 0, 1, 2, 2, 2], 4)
    assert h[0] == pytest.approx(math.log(2))
    assert h[1] == pytest.approx(0.0)
    assert h[2] == pytest.approx(-(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25)))
    assert h[3] == 0.0  # no neighbours


def test_code_length_hand_computed():
    assert code_length([2, 2]) == pytest.approx(4 * math.log(2))
    assert code_length([5]) == pytest.approx(0.0)
    assert code_length([]) == 0.0


@pytest.mark.parametrize("c_word", [1, 5, 40])
def test_removal_gain_equals_brute_force_difference(c_word):
    counts = {"中华": 30.0, "人民": 50.0, "的": 200.0, "中华人民": float(c_word)}
    before = code_length(list(counts.values()))
    after_counts = dict(counts)
    del after_counts["中华人民"]
    after_counts["中华"] += c_word
    after_counts["人民"] += c_word
    after = code_length(list(after_counts.values()))
    gain = removal_gain(sum(counts.values()), c_word, {0: 1, 1: 1},
                        {0: counts["中华"], 1: counts["人民"]})
    assert gain == pytest.approx(after - before)


def test_removal_gain_with_a_repeated_part():
    counts = {"哈": 10.0, "哈哈": 4.0, "x": 6.0}
    after = code_length([10.0 + 2 * 4.0, 6.0])
    gain = removal_gain(20.0, 4.0, {0: 2}, {0: 10.0})
    assert gain == pytest.approx(after - code_length(list(counts.values())))
    assert np.isfinite(gain)
