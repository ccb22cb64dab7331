import random

import numpy as np
import pytest

from zhpipe.corpus.text import CorpusError
from zhpipe.evaluation.segmentation import score_segmentation
from zhpipe.mining.corpus_io import batches, shard_lines
from zhpipe.mining.discover import best_split, mine
from zhpipe.mining.lexicon_io import read_lexicon_counts, write_lexicon
from zhpipe.mining.ngrams import count_lines, count_stream
from zhpipe.mining.params import MiningParams


def _zipf_corpus(seed=0, n_words=300, n_sentences=4000):
    """Words of 1-4 characters from a small alphabet, sampled by a Zipf law, joined without
    spaces; returns (lexicon, gold sentences)."""
    rng = random.Random(seed)
    alphabet = [chr(0x4E00 + i) for i in range(400)]
    lexicon = set()
    while len(lexicon) < n_words:
        n = rng.choices([1, 2, 3, 4], weights=[1, 6, 3, 1])[0]
        lexicon.add("".join(rng.choice(alphabet) for _ in range(n)))
    words = sorted(lexicon)
    rng.shuffle(words)
    weights = [1 / (r + 1) for r in range(len(words))]
    gold = [rng.choices(words, weights=weights, k=rng.randint(3, 12))
            for _ in range(n_sentences)]
    return words, gold


def test_miner_recovers_a_zipf_lexicon():
    words, gold = _zipf_corpus()
    raw = ["".join(s) for s in gold]
    p = MiningParams(min_count=3, min_word_count=3, min_cohesion=[1.0, 2.0, 3.0],
                     prune_threshold=0.0, em_iterations=3)
    lex = mine(lambda: [raw[:2000], raw[2000:]], p)
    pred = lex.segmenter().segment_lines(raw)
    s = score_segmentation(gold, pred)
    assert s.f1 >= 0.9, s


def test_best_split_uses_other_words():
    counts = {"中华": 10.0, "人民": 10.0, "中": 5.0, "华": 1.0, "人": 5.0, "民": 1.0}
    assert best_split("中华人民", counts, 50.0) == ["中华", "人民"]
    assert best_split("中华", counts, 50.0) == ["中", "华"]


def test_empty_corpus_is_a_clear_error():
    with pytest.raises(ValueError, match="no text to mine"):
        mine(lambda: [["，。", ""]], MiningParams())


def test_count_stream_equals_one_batch():
    rng = random.Random(3)
    lines = ["".join(rng.choice("甲乙丙丁戊己") for _ in range(rng.randint(0, 30)))
             for _ in range(300)]
    whole = count_lines(lines, 4)
    streamed, n_lines, n_chars = count_stream(iter(lines), 4, batch_chars=100)
    assert n_lines == 300 and n_chars == sum(map(len, lines))
    for n in range(1, 5):
        np.testing.assert_array_equal(streamed[n].grams, whole[n].grams)
        np.testing.assert_array_equal(streamed[n].counts, whole[n].counts)


def test_shards_partition_the_lines_of_several_files(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("".join(f"第{i}行文字\n" for i in range(50)), encoding="utf-8")
    b.write_text("".join(f"另{i}行\n" for i in range(37)) + "无换行结尾", encoding="utf-8")
    expected = a.read_text(encoding="utf-8").splitlines() + b.read_text(encoding="utf-8").splitlines()
    for of in (1, 2, 3, 7):
        got = [line for k in range(of) for line in shard_lines([a, b], k, of)]
        assert got == expected, of
    assert [x for batch in batches([a, b], 40) for x in batch] == expected


def test_a_file_without_newlines_streams_in_pieces(tmp_path):
    big = tmp_path / "big.txt"
    text = "中文字符" * 20000
    big.write_text(text, encoding="utf-8")
    pieces = [line for k in range(3) for line in shard_lines([big], k, 3, max_chars=1000)]
    assert "".join(pieces) == text
    assert max(map(len, pieces)) <= 1000


def test_non_utf8_and_empty_inputs_are_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("好的\n".encode() + "坏".encode("gbk") + b"\n")
    with pytest.raises(CorpusError, match="not UTF-8 near byte offset 7"):
        list(shard_lines([bad], 0, 1))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(CorpusError, match="empty"):
        list(shard_lines([empty], 0, 1))


def test_lexicon_round_trip_and_user_lexicon_errors(tmp_path):
    words, gold = _zipf_corpus(n_words=50, n_sentences=500)
    raw = ["".join(s) for s in gold]
    lex = mine(lambda: [raw], MiningParams(min_count=2, min_word_count=2))
    write_lexicon(lex, tmp_path / "lexicon.tsv")
    counts = read_lexicon_counts(tmp_path / "lexicon.tsv")
    assert counts == pytest.approx(lex.as_counts())
    user = tmp_path / "user.txt"
    user.write_text("北京 10\n上海\n广州\tlots\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"user.txt:3: the count 'lots' is not a number"):
        read_lexicon_counts(user)


def test_small_corpus_warns_naming_its_size(caplog):
    words, gold = _zipf_corpus(n_words=30, n_sentences=200)
    raw = ["".join(s) for s in gold]
    with caplog.at_level("WARNING"):
        mine(lambda: [raw], MiningParams(min_count=2, min_word_count=2))
    n = sum(map(len, raw))
    assert any(f"only {n} characters" in r.message for r in caplog.records)
