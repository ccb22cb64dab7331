import numpy as np

from zhpipe.tagging.data import SEG_TAGS, LexiconFlags, bmes_to_words, words_to_bmes
from zhpipe.tagging.tagger import Tagger, train_tagger


def test_tagger_trains_tags_long_lines_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    vocab = ["北京", "欢迎", "你", "我们", "喜欢", "中国"]
    sents = [list(rng.choice(vocab, 6)) for _ in range(200)]
    texts = ["".join(s) for s in sents]
    tags = [words_to_bmes(s) for s in sents]
    lex = LexiconFlags(["北京", "欢迎", "我们"])
    scores = []

    def score(tagger):
        pred = tagger.tag(texts[:20])
        s = np.mean([bmes_to_words(t, p) == w for t, p, w in zip(texts, pred, sents[:20],
                                                                 strict=False)])
        scores.append(s)
        return s

    tagger, info = train_tagger(texts, tags, SEG_TAGS, lex, score, epochs=6, patience=6,
                                tokens_per_batch=512, learning_rate=0.01, seed=1, max_len=50,
                                filters=16, char_dim=8, bigram_dim=4, dilations=(1,))
    assert info["best_dev"] > 0.8, info["history"]
    long = "".join(texts[:30])  # 30 x 12 characters, longer than max_len: split and rejoined
    out = tagger.tag([long, "", "北京"])
    assert len(out[0]) == len(long) and out[1] == [] and out[2] == ["B", "E"]
    tagger.save(tmp_path, "seg")
    again = Tagger.load(tmp_path, "seg")
    assert again.tag([texts[0]]) == tagger.tag([texts[0]])
