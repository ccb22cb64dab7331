import numpy as np
import pytest

from zhpipe.corpus.text import CorpusError
from zhpipe.tagging.data import SEG_TAGS, LexiconFlags, LexiconStack, Vocab, encode_many
from zhpipe.tagging.dictionary import (
    dictionary_groups,
    dictionary_label,
    dictionary_path,
    read_dictionary,
)
from zhpipe.tagging.tagger import Tagger, train_tagger


def test_read_dictionary_formats_and_normalises(tmp_path):
    f = tmp_path / "d.txt"
    f.write_text("北京 100 ns\n江泽民\t5\tnr\n新华社 nt\n欢迎 3\nＡＢ公司\n\n", encoding="utf-8")
    assert read_dictionary(f) == [("北京", "ns", 100), ("江泽民", "nr", 5), ("新华社", "nt", 1),
                                  ("欢迎", "", 3), ("AB公司", "", 1)]


def test_dictionary_errors_name_the_file(tmp_path):
    with pytest.raises(CorpusError, match="neither 'jieba'"):
        dictionary_path(str(tmp_path / "missing.txt"))
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("北京 3 ns\n".encode("gb18030"))
    with pytest.raises(CorpusError, match="gbk.txt:1: not UTF-8"):
        read_dictionary(bad)
    neg = tmp_path / "neg.txt"
    neg.write_text("北京 3\n上海 -2 ns\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="neg.txt:2: the count '-2' is negative"):
        read_dictionary(neg)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty.txt"):
        read_dictionary(empty)


def test_jieba_dictionary_is_found_and_read():
    entries = read_dictionary(dictionary_path("jieba"))
    assert len(entries) > 300_000
    tags = {w: t for w, t, _ in entries}
    assert tags["北京"] == "ns" and tags["新华社"] == "nt"
    assert all(c >= 0 for _, _, c in entries)
    assert dictionary_label("jieba").startswith("jieba 0.") and dictionary_label("my.txt") == "my.txt"


def test_dictionary_groups_split_names_by_type():
    entries = [("北京", "ns", 500), ("江泽民", "nr", 20), ("周恩来", "nrfg", 3),
               ("新华社", "nt", 150), ("欢迎", "v", 9), ("人", "n", 9000),
               ("中华人民共和国", "ns", 80)]
    g = dictionary_groups(entries, [2, 3], [10, 100], names=True)
    assert list(g) == ["dict", "dict_ge10", "dict_ge100", "dict_PER", "dict_LOC", "dict_ORG"]
    assert g["dict"].words == {2: {"北京", "欢迎"}, 3: {"江泽民", "周恩来", "新华社"}}
    assert g["dict_ge10"].words == {2: {"北京"}, 3: {"江泽民", "新华社"}}
    assert g["dict_ge100"].words == {2: {"北京"}, 3: {"新华社"}}
    assert g["dict_PER"].words[3] == {"江泽民", "周恩来"}
    assert g["dict_LOC"].words[2] == {"北京"} and g["dict_LOC"].words[6] == set()
    assert g["dict_ORG"].words[3] == {"新华社"}
    assert list(dictionary_groups(entries, [2])) == ["dict"]


def test_lexicon_stack_concatenates_groups_and_round_trips(tmp_path):
    stack = LexiconStack({"mined": LexiconFlags(["北京"]),
                          "dict": LexiconFlags(["欢迎你", "北京欢迎"], (3, 4))})
    assert stack.width == 6 + 4
    flags = stack.flags("北京欢迎你")
    np.testing.assert_array_equal(flags[0], [1, 0, 0, 0, 0, 0, 0, 0, 1, 0])  # 北京, 北京欢迎
    np.testing.assert_array_equal(flags[4], [0, 0, 0, 0, 0, 0, 0, 1, 0, 0])  # 欢迎你 ends
    stack.save(tmp_path / "lex.json")
    again = LexiconStack.load(tmp_path / "lex.json")
    np.testing.assert_array_equal(again.flags("北京欢迎你"), flags)
    vocab = Vocab.build(["北京欢迎你"], min_bigram=1)
    assert encode_many(["北京欢迎你", "你"], vocab, stack)[0]["lexicon"].shape == (5, 10)
    with pytest.raises(ValueError):
        LexiconStack({})


def test_tagger_with_a_stack_trains_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    words = ["北京", "欢迎", "你", "我们", "喜欢", "中国"]
    sents = [list(rng.choice(words, 5)) for _ in range(80)]
    texts = ["".join(s) for s in sents]
    stack = LexiconStack({"mined": LexiconFlags(["北京"]),
                          "dict": LexiconFlags(["我们", "喜欢", "中国"], (2, 5))})
    from zhpipe.tagging.data import words_to_bmes

    tagger, _ = train_tagger(texts, [words_to_bmes(s) for s in sents], SEG_TAGS, stack,
                             lambda t: 0.0, epochs=1, patience=1, tokens_per_batch=512,
                             learning_rate=0.01, seed=1, filters=8, char_dim=4, bigram_dim=4,
                             dilations=(1,))
    assert tagger.model.get_layer("lexicon").output.shape[-1] == 10
    tagger.save(tmp_path, "seg")
    assert (tmp_path / "seg.lexicons.json").exists()
    again = Tagger.load(tmp_path, "seg")
    assert isinstance(again.lexicon, LexiconStack) and again.lexicon.width == 10
    assert again.tag(texts[:3]) == tagger.tag(texts[:3])


def test_dictionary_params_are_checked():
    from pydantic import ValidationError

    from zhpipe.tagging.params import NerParams

    p = NerParams(dictionary_lengths=[4, 2], dictionary_bands=[100, 10])
    assert p.dictionary_lengths == [2, 4] and p.dictionary_bands == [10, 100]
    for bad in ({"dictionary_lengths": [1, 2]}, {"dictionary_lengths": []},
                {"dictionary_lengths": [2, 2]}, {"dictionary_bands": [0]},
                {"dictionary": " "}):
        with pytest.raises(ValidationError):
            NerParams(**bad)
