import numpy as np
import pytest

from zhpipe.evaluation.entities import bio_entities, entity_scores
from zhpipe.tagging.data import (
    LexiconFlags,
    Vocab,
    bmes_to_words,
    encode,
    pos_to_bio,
    split_for_model,
    words_to_bmes,
)


def test_bmes_round_trip():
    words = ["中华人民共和国", "成立", "了", "！"]
    tags = words_to_bmes(words)
    assert tags[:7] == ["B", "M", "M", "M", "M", "M", "E"] and tags[-2:] == ["S", "S"]
    assert bmes_to_words("".join(words), tags) == words
    assert bmes_to_words("甲乙丙", ["M", "M", "B"]) == ["甲乙", "丙"]  # ill-formed: no char lost


def test_bio_from_1998_tags_joins_surname_and_given_name():
    chars, tags = pos_to_bio([("江", "nr"), ("泽民", "nr"), ("在", "p"), ("北京", "ns"),
                              ("中国", "ns")])
    assert chars == "江泽民在北京中国"
    assert tags == ["B-PER", "I-PER", "I-PER", "O", "B-LOC", "I-LOC", "B-LOC", "I-LOC"]
    assert bio_entities(tags) == [("PER", 0, 3), ("LOC", 4, 6), ("LOC", 6, 8)]
    assert bio_entities(["I-ORG", "I-ORG", "O"]) == [("ORG", 0, 2)]


def test_entity_scores_hand_made():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "O"]]
    s = entity_scores(gold, pred)
    assert s["precision"] == pytest.approx(1 / 2) and s["recall"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx(0.4)
    assert s["types"]["PER"]["f1"] == 1.0 and s["types"]["LOC"]["recall"] == 0.0


def test_features_and_splitting():
    vocab = Vocab.build(["北京欢迎你", "北京"], min_bigram=2)
    lex = LexiconFlags(["北京", "欢迎你"])
    f = encode("北京欢迎你们", vocab, lex)
    assert f["chars"][-1] == 1  # unknown character
    assert f["bigrams"][0] == vocab.bigrams["北京"] and f["bigrams"][-1] == 0
    np.testing.assert_array_equal(f["lexicon"][0], [1, 0, 0, 0, 0, 0])  # 北京 starts
    np.testing.assert_array_equal(f["lexicon"][4], [0, 0, 0, 1, 0, 0])  # 欢迎你 ends
    text = "一" * 150 + "。" + "二" * 100
    pieces = split_for_model(text, 120)
    assert "".join(pieces) == text and max(map(len, pieces)) <= 120


def test_encode_many_equals_one_by_one_and_lexicon_from_a_generator():
    from zhpipe.tagging.data import encode_many

    vocab = Vocab.build(["北京欢迎你", "北京", "中华人民"], min_bigram=1)
    lex = LexiconFlags(w for w in ["北京", "欢迎你", "中华人民"])  # a generator: read once
    assert lex.words[3] == {"欢迎你"} and lex.words[4] == {"中华人民"}
    texts = ["北京欢迎你们", "", "中华人民", "京欢"]
    many = encode_many(texts, vocab, lex)
    for t, got in zip(texts, many, strict=True):
        one = encode(t, vocab, lex)
        for key in ("chars", "bigrams", "lexicon"):
            np.testing.assert_array_equal(got[key], one[key])
    np.testing.assert_array_equal(many[2]["lexicon"][0], [0, 0, 0, 0, 1, 0])
    split = encode_many(["北", "京"], vocab, lex)  # 北京 across two texts is no word
    assert split[0]["lexicon"].sum() == 0 and split[1]["lexicon"].sum() == 0


def test_encode_with_an_empty_bigram_vocabulary():
    vocab = Vocab.build(["北京"], min_bigram=5)  # no bigram is frequent enough
    f = encode("北京欢迎", vocab, None)
    assert f["bigrams"].tolist() == [1, 1, 1, 0] and f["chars"].tolist() == [2, 3, 1, 1]


def test_segmentation_corpus_splits_an_official_training_set_in_blocks(tmp_path):
    from zhpipe.corpus.text import CorpusError
    from zhpipe.tagging.data import DEV_BLOCK, segmentation_corpus

    sighan = tmp_path / "sighan"
    sighan.mkdir()
    with pytest.raises(CorpusError, match=r"pku_training\.seg\.txt.*fetch_optional"):
        segmentation_corpus("pku", tmp_path, sighan)
    lines = [f"第{i} 句 话" for i in range(25 * DEV_BLOCK)]
    (sighan / "pku_training.seg.txt").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    train, dev = segmentation_corpus("pku", tmp_path, sighan)
    assert len(dev) == 2 * DEV_BLOCK and len(train) == 23 * DEV_BLOCK  # blocks 9 and 19
    assert dev[0] == [f"第{9 * DEV_BLOCK}", "句", "话"]
    assert sorted(map(tuple, train + dev)) == sorted(tuple(x.split()) for x in lines)
    train, _ = segmentation_corpus("pku", tmp_path, sighan, limit=7)
    assert len(train) == 7
    (sighan / "msr_training.seg.txt").write_text("一 句\n" * 9, encoding="utf-8")
    with pytest.raises(CorpusError, match="too few"):
        segmentation_corpus("msr", tmp_path, sighan)
    pd = tmp_path / "pd"
    pd.mkdir()
    (pd / "train.seg.txt").write_text("我们 来 了\n他 走\n", encoding="utf-8")
    (pd / "dev.seg.txt").write_text("你 好\n", encoding="utf-8")
    assert segmentation_corpus("pd1998", pd, sighan) == ([["我们", "来", "了"], ["他", "走"]],
                                                         [["你", "好"]])
