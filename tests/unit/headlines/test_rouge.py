"""Character ROUGE (rouge-score with a character tokenizer), checked by hand."""

import pytest

from zhpipe.headlines.rouge import rouge


def test_one_pair_as_counted_by_hand():
    # reference 李强参加云南代表团审议 (11 characters, 10 bigrams), output 李强参加代表团审议 (9, 8):
    # all 9 output characters are in the reference: P 9/9, R 9/11, F 0.900; bigrams shared 7
    # (加代 is not in the reference): P 7/8, R 7/10, F 0.7778; LCS 9: as ROUGE-1.
    got = rouge(["李强参加代表团审议"], ["李强参加云南代表团审议"])
    assert got == {"rouge1": 90.0, "rouge2": 77.78, "rougeL": 90.0}


def test_means_over_pairs_spaces_ignored_and_bad_input_refused():
    assert rouge(["北京 下雪", "完全不同"], ["北京下雪", "上海升温"]) == \
        {"rouge1": 50.0, "rouge2": 50.0, "rougeL": 50.0}
    with pytest.raises(ValueError, match="2 outputs for 1 references"):
        rouge(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="no pairs"):
        rouge([], [])
