"""Cloze reading: CMRC 2017 files, the generator, the scorer, the reader, the command line."""

from pathlib import Path

import keras
import numpy as np
import pytest

from zhpipe.cloze.data import (
    BLANK,
    ClozeFormatError,
    ClozeItem,
    ReadStats,
    accuracy,
    read_answers,
    read_doc_query,
    score_files,
    write_answers,
    write_doc_query,
)
from zhpipe.cloze.encoding import batch_inputs, context_matches, encode
from zhpipe.cloze.generate import GeneratorOptions, generate, parse_pos_line, read_tagged
from zhpipe.cloze.model import attention_sum_loss, build_reader
from zhpipe.cloze.reader import Reader, pick
from zhpipe.cloze.train import train_reader
from zhpipe.cloze.vocab import WordVocab
from zhpipe.corpus.text import CorpusError

DOC_QUERY = """1 ||| 小 猴 在 树 上 玩 。
2 ||| XXXXX 每天 都 来 找 小 猴 。
3 ||| 小 熊 很 高兴 。
<qid_0> ||| XXXXX 每天 都 来 找 小 猴 。
1 ||| 野牛 和 XXXXX 打 了 起来 。
2 ||| 老虎 跑 了 。
<qid_1> ||| 野牛 和 XXXXX 打 了 起来 。
"""


def test_read_write_round_trip(tmp_path):
    f = tmp_path / "a.doc_query"
    f.write_text(DOC_QUERY, encoding="utf-8")
    items = read_doc_query(f)
    assert [it.qid for it in items] == ["<qid_0>", "<qid_1>"]
    assert items[0].passage[2] == ["小", "熊", "很", "高兴", "。"]
    assert items[1].query.index(BLANK) == 2
    out = tmp_path / "b.doc_query"
    write_doc_query(out, items)
    assert out.read_text(encoding="utf-8") == DOC_QUERY
    ans = tmp_path / "a.answer"
    write_answers(ans, [("<qid_0>", "小熊"), ("<qid_1>", "老虎")])
    assert read_answers(ans) == {"<qid_0>": "小熊", "<qid_1>": "老虎"}


def test_malformed_files_name_the_line_or_are_counted(tmp_path):
    f = tmp_path / "bad.doc_query"
    f.write_text("1 ||| 小 猴 。\n小 猴\n", encoding="utf-8")
    with pytest.raises(ClozeFormatError, match=r"bad.doc_query:2"):
        read_doc_query(f)
    f.write_text("1 ||| 小 猴 。\n2 ||| 老虎 。\n", encoding="utf-8")
    with pytest.raises(ClozeFormatError, match=r"bad.doc_query:1: passage .* no '<qid_K>"):
        read_doc_query(f)
    f.write_text("<qid_0> ||| 小 XXXXX 。\n1 ||| 小 猴 。\n<qid_1> ||| 没有 空 。\n"
                 "1 ||| 老虎 。\n<qid_2> ||| XXXXX 。\n", encoding="utf-8")
    stats = ReadStats()
    items = read_doc_query(f, stats)
    assert [it.qid for it in items] == ["<qid_2>"]
    assert stats.skipped_empty_passage == 1 and stats.skipped_no_blank == 1
    f.write_bytes(b"1 ||| \xff\n")
    with pytest.raises(ClozeFormatError, match="not UTF-8"):
        read_doc_query(f)
    a = tmp_path / "x.answer"
    a.write_text("qid_0 ||| 小熊\n", encoding="utf-8")
    with pytest.raises(ClozeFormatError, match=r"x.answer:1"):
        read_answers(a)


def test_scorer_counts_missing_answers_as_wrong(tmp_path):
    gold = {"<qid_0>": "小熊", "<qid_1>": "老虎", "<qid_2>": "猴子", "<qid_3>": "树"}
    s = accuracy(gold, {"<qid_0>": "小熊", "<qid_1>": "狐狸", "<qid_2>": "猴子", "<qid_9>": "x"})
    assert s == {"accuracy": 50.0, "correct": 2, "total": 4, "missing": 1, "extra": 1}
    g, p = tmp_path / "g.answer", tmp_path / "p.answer"
    write_answers(g, gold.items())
    write_answers(p, [("<qid_3>", "树")])
    assert score_files(p, g)["accuracy"] == 25.0
    with pytest.raises(ValueError):
        accuracy({}, {})


# ----------------------------------------------------------------------------- generator

POS = """小/a 猴/n 在/p 树/n 上/f 玩/v 。/w 小/a 熊/n 来/v 了/u 。/w
江/nr 泽民/nr 看望/v 小/a 熊/n 。/w
树/n 很/d 高/a ，/w 猴/n 爬/v 树/n 。/w
熊/n 和/c 猴/n 是/v 朋友/n 。/w 朋友/n 来/v 了/u 。/w
"""


def test_parse_pos_line_joins_names():
    assert parse_pos_line("江/nr 泽民/nr 看望/v") == [("江泽民", "nr"), ("看望", "v")]


def test_generated_answers_are_always_in_their_passage(tmp_path):
    f = tmp_path / "c.pos.txt"
    f.write_text(POS * 30, encoding="utf-8")
    sents = read_tagged(f)
    assert sents[0][-1][0] == "。" and len(sents[0]) == 7  # cut at 。
    items, info = generate(sents, GeneratorOptions(passage_sentences=6, items_per_passage=3))
    assert items and info["passages"] == len(sents) // 6
    for it in items:
        assert it.query.count(BLANK) == 1
        assert it.answer in it.tokens  # elsewhere in the passage
        assert it.query in it.passage  # the blanked sentence stays in the passage
        assert sum(s.count(BLANK) for s in it.passage) == 1
        assert it.answer not in ("小", "在", "看望")  # nouns only (n, nr, ...)
        assert it.answer not in it.query
    # untagged text: the most frequent words are never answers
    plain = [[(w, None) for w, _ in s] for s in sents]
    items2, _ = generate(plain, GeneratorOptions(passage_sentences=6, skip_top_words=5))
    assert all(it.answer in it.tokens for it in items2)
    # words the reader may never pick (non_answer_words) are never blanked either
    answers2 = {it.answer for it in items2}
    assert len(answers2) > 1
    never = {sorted(answers2)[0]}
    items4, _ = generate(plain, GeneratorOptions(passage_sentences=6, skip_top_words=5),
                         never=never)
    assert items4 and not {it.answer for it in items4} & never
    # overlapping passages: one every 2 sentences, each still 6 sentences long
    items3, info3 = generate(sents, GeneratorOptions(passage_sentences=6, items_per_passage=3,
                                                     passage_stride=2))
    assert info3["passages"] == (len(sents) - 6) // 2 + 1 and len(items3) > len(items)
    assert all(len(it.passage) == 6 and it.answer in it.tokens and it.query in it.passage
               for it in items3)


# ----------------------------------------------------------------------------- reader


def tiny_items(n=40, seed=0):
    """Passages where the answer is the animal that occurs twice; learnable."""
    rng = np.random.default_rng(seed)
    animals = ["猴子", "老虎", "小熊", "狐狸", "野牛", "兔子"]
    items = []
    for i in range(n):
        a, b, c = rng.choice(animals, 3, replace=False)
        query = ["今天", BLANK, "又", "来", "了", "。"]
        passage = [[a, "在", "树", "上", "。"], [b, "在", "河", "边", "。"], query,
                   [a, "和", c, "玩", "。"]]
        items.append(ClozeItem(f"<qid_{i}>", passage, query, str(a)))
    return items


def test_encode_keeps_unknown_words_apart():
    vocab = WordVocab(["在", "树"], oov_slots=5)
    it = tiny_items(1)[0]
    e = encode(it, vocab, max_doc=100)
    a, b = it.passage[0][0], it.passage[1][0]
    ids = dict(zip(it.tokens, e.doc, strict=True))
    assert ids[a] != ids[b] and ids[a] >= 3 and ids["在"] == vocab.index["在"]
    assert e.doc[e.d_blank] == 2 and e.query[e.q_blank] == 2
    x = batch_inputs([e])
    assert x["doc"].shape[1] % 32 == 0 and x["candidates"][0, e.d_blank] == 0


def test_context_matches_flag_the_words_around_the_blank():
    query = "小 熊 对 XXXXX 说 ：".split()
    tokens = "小 熊 对 老虎 说 ： 兔子 对 猴子 说 。 小 熊 对 XXXXX 说 ：".split()
    m = context_matches(tokens, query, 3)
    i = {w: k for k, w in enumerate(tokens[:11])}
    assert m[i["老虎"]].tolist() == [1, 1, 1, 1]  # 熊 对 _ 说 ：
    assert m[i["猴子"]].tolist() == [1, 0, 1, 0]  # 对 _ 说, then 兔子 != 熊 and 。 != ：
    assert m[i["兔子"]].tolist() == [0, 0, 0, 0]
    assert not m[tokens.index("XXXXX", 12)].any()  # the passage's own blank never matches
    assert context_matches(["甲", "乙"], ["XXXXX"], 0).sum() == 0  # nothing around the blank
    e = encode(ClozeItem("q", [tokens], query), WordVocab(["小"], oov_slots=5), max_doc=100)
    assert e.features.shape == (len(tokens), 6)
    assert e.features[i["老虎"], 2:].tolist() == [1, 1, 1, 1]


def test_pick_sums_over_positions():
    assert pick(np.array([0.3, 0.2, 0.25, 0.25]), ["a", "b", "b", "c"]) == ("b", 0.45)


def test_loss_is_minus_log_answer_mass():
    p = np.array([[0.1, 0.6, 0.3]], np.float32)
    y = np.array([[1, 0, 1]], np.float32)
    assert float(keras.ops.convert_to_numpy(attention_sum_loss(y, p))[0]) == \
        pytest.approx(-np.log(0.4), rel=1e-5)


@pytest.mark.parametrize("encoder,hops", [("cnn", 0), ("gru", 0), ("lstm2", 0), ("cnn", 1)])
def test_reader_trains_and_round_trips(encoder, hops, tmp_path):
    items = tiny_items(60)
    vocab = WordVocab.build(items, 1, 100, oov_slots=10)
    reader, info = train_reader(items[:50], items[50:], vocab, dim=16, units=16, dropout=0.0,
                                max_doc=64, tokens_per_batch=512, encoder=encoder,
                                dilations=(1, 2), learning_rate=0.01, epochs=2, patience=2,
                                seed=0, gated_attention=hops)
    assert len(info["history"]) == 2 and np.isfinite(info["history"][-1]["loss"])
    ga = [x for x in reader.model.layers if x.name.startswith("gated_attention")]
    assert len(ga) == hops  # the hops are in the graph, not only a param
    pred = reader.answer(items[50:])
    assert all(p in it.tokens for p, it in zip(pred, items[50:], strict=True))
    reader.save(tmp_path)
    again = Reader.load(tmp_path)
    assert again.answer(items[50:]) == pred


def test_batches_cover_every_item_once_the_tail_too():
    """The last batch, when trimmed to the token budget, used to drop its trimmed items (they
    then went unanswered and counted as wrong)."""
    vocab = WordVocab(["在", "树"], oov_slots=5)
    query = ["今天", BLANK, "来", "了", "。"]
    items = [ClozeItem(f"<qid_{i}>", [["猴子"] * n, query], query, "猴子")
             for i, n in enumerate([10, 10, 30, 35])]
    model = build_reader(len(vocab), dim=8, units=8, dilations=(1,))
    reader = Reader(model, vocab, max_doc=100)
    seen = [int(k) for ids, _ in reader.batches(items, 100) for k in ids]
    assert sorted(seen) == list(range(len(items)))
    assert all(reader.answer(items))  # every item answered


def test_an_ensemble_averages_its_readers_and_round_trips(tmp_path):
    from zhpipe.cloze.reader import Ensemble

    items = tiny_items(60)
    vocab = WordVocab.build(items, 1, 100, oov_slots=10)
    kw = dict(dim=8, units=8, dropout=0.0, max_doc=64, tokens_per_batch=512, dilations=(1,),
              learning_rate=0.01, epochs=1, patience=1)
    readers = [train_reader(items[:50], items[50:], vocab, seed=s, **kw)[0] for s in (0, 1)]
    ens = Ensemble(readers)
    a, b = (r.word_probs(items[50:]) for r in readers)
    for d, x, y in zip(ens.word_probs(items[50:]), a, b, strict=True):
        assert set(d) == set(x) | set(y)
        assert all(d[w] == pytest.approx((x.get(w, 0) + y.get(w, 0)) / 2) for w in d)
    for k, r in enumerate(readers):
        r.save(tmp_path, k, 2)
    again = Reader.load(tmp_path)
    assert isinstance(again, Ensemble) and len(again.readers) == 2
    assert again.answer(items[50:]) == ens.answer(items[50:])
    readers[0].save(tmp_path / "one")
    assert isinstance(Reader.load(tmp_path / "one"), Reader)


def test_cosine_decay_brings_the_rate_to_zero_over_all_epochs():
    items = tiny_items(60)
    # one passage longer than max_doc whose answer only follows the cut: its batch (alone: the
    # longest, a full batch) is skipped, and the schedule must count only the steps taken
    query = ["今天", BLANK, "又", "来", "了", "。"]
    long = ClozeItem("<qid_long>", [["猴子", "在", "树", "上", "。"]] * 14
                     + [query, ["狐狸", "来", "了", "。"]], query, "狐狸")
    vocab = WordVocab.build(items + [long], 1, 100, oov_slots=10)
    kw = dict(dim=8, units=8, dropout=0.0, max_doc=64, tokens_per_batch=64, dilations=(1,),
              learning_rate=0.01, epochs=2, patience=2, seed=0)
    reader, info = train_reader(items[:50] + [long], items[50:], vocab, lr_decay="cosine",
                                **kw)
    assert info["dropped_answer_truncated"] == 1
    opt = reader.model.optimizer
    steps = int(keras.ops.convert_to_numpy(opt.iterations))
    assert steps > 0 and len(info["history"]) == 2
    assert float(keras.ops.convert_to_numpy(opt.learning_rate)) < 1e-6  # all epochs run: 0
    reader, _ = train_reader(items[:50], items[50:], vocab, lr_decay="none", **kw)
    assert float(keras.ops.convert_to_numpy(reader.model.optimizer.learning_rate)) == \
        pytest.approx(0.01)
    with pytest.raises(ValueError, match="lr_decay"):
        train_reader(items[:50], items[50:], vocab, lr_decay="linear", **kw)


def test_reader_learns_the_planted_rule():
    items = tiny_items(300, seed=1)
    vocab = WordVocab.build(items, 1, 100, oov_slots=10)
    reader, info = train_reader(items[:250], items[250:], vocab, dim=16, units=16, dropout=0.0,
                                max_doc=64, tokens_per_batch=1024, encoder="cnn",
                                dilations=(1, 2, 4), learning_rate=0.01, epochs=6, patience=6,
                                seed=0)
    pred = reader.answer(items[250:])
    acc = np.mean([p == it.answer for p, it in zip(pred, items[250:], strict=True)])
    assert acc > 0.8  # chance among the 3 animals of a passage: 1/3


def test_build_reader_output_is_a_distribution_over_candidates():
    m = build_reader(20, dim=8, units=8, dilations=(1,))
    vocab = WordVocab(["在", "树", "上", "。"], oov_slots=5)
    x = batch_inputs([encode(it, vocab, 64) for it in tiny_items(3)])
    p = np.asarray(m.predict_on_batch(x))
    assert np.allclose(p.sum(1), 1, atol=1e-5)
    assert (p[x["candidates"] == 0] < 1e-6).all()


def test_cli_cloze(tmp_path, capsys):
    from zhpipe.cli import main

    items = tiny_items(20)
    vocab = WordVocab.build(items, 1, 100, oov_slots=10)
    keras.utils.set_random_seed(0)
    Reader(build_reader(len(vocab), dim=8, units=8, dilations=(1,)), vocab, 64).save(tmp_path)
    dq = tmp_path / "x.doc_query"
    write_doc_query(dq, items)
    gold = tmp_path / "x.answer"
    write_answers(gold, [(it.qid, it.answer) for it in items])
    assert main(["cloze", str(dq), "--models", str(tmp_path), "--answers", str(gold)]) == 0
    cap = capsys.readouterr()
    lines = cap.out.splitlines()
    assert len(lines) == 20 and lines[0].startswith("<qid_0> ||| ")
    assert "accuracy" in cap.err
    assert main(["cloze", str(dq), "--models", str(tmp_path / "none")]) == 2
    assert "train_cloze" in capsys.readouterr().err


def test_non_answer_words_are_never_candidates(tmp_path):
    from zhpipe.cloze.generate import non_answer_words

    f = tmp_path / "c.pos.txt"
    f.write_text(POS, encoding="utf-8")
    stop = non_answer_words(read_tagged(f), ["n", "nr"], min_count=2)
    assert {"小", "来", "了"} <= stop and not {"猴", "熊", "树", "朋友"} & stop
    vocab = WordVocab(["小", "猴"], oov_slots=5, exclude=frozenset(stop))
    it = ClozeItem("<qid_0>", [["小", "猴", "来", "了", "。"], ["熊", BLANK, "。"]],
                   ["熊", BLANK, "。"], "猴")
    e = encode(it, vocab, 64)
    assert e.candidates.tolist() == [False, True, False, False, False, True, False, False]
    vocab.save(tmp_path / "v.json")
    assert WordVocab.load(tmp_path / "v.json").exclude == vocab.exclude


def test_frozen_word2vec_embeddings_stay_fixed():
    items = tiny_items(30)
    vocab = WordVocab.build(items, 1, 100, oov_slots=4)
    init = np.random.default_rng(0).normal(size=(len(vocab), 8)).astype("float32")
    reader, _ = train_reader(items[:25], items[25:], vocab, dim=8, units=8, dropout=0.0,
                             max_doc=64, tokens_per_batch=512, dilations=(1,), init=init,
                             freeze_embeddings=True, learning_rate=0.01, epochs=1, patience=1,
                             seed=0)
    emb = reader.model.get_layer("word_emb")
    assert not emb.trainable
    np.testing.assert_allclose(keras.ops.convert_to_numpy(emb.embeddings), init)


def test_gated_attention_weighs_query_positions_and_ignores_padding():
    from zhpipe.layers import GatedAttention

    d = np.array([[[1.0, 0.0], [0.0, 2.0]]], np.float32)  # (1, 2, 2)
    q = np.array([[[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]]], np.float32)  # last: padding
    ids = np.array([[5, 6, 0]], np.int32)
    got = keras.ops.convert_to_numpy(GatedAttention()([d, q, ids]))
    for i in range(2):
        s = d[0, i] @ q[0, :2].T
        a = np.exp(s) / np.exp(s).sum()
        np.testing.assert_allclose(got[0, i], d[0, i] * (a @ q[0, :2]), rtol=1e-5)


def test_own_vectors_learn_the_passages_words_and_never_the_blanked_sentence(tmp_path):
    from zhpipe.cloze.data import passage_sentences
    from zhpipe.cloze.vectors import train_vectors

    (tmp_path / "v.doc_query").write_text(DOC_QUERY, encoding="utf-8")
    items = read_doc_query(tmp_path / "v.doc_query")
    sents = passage_sentences(items + items)  # the same passages twice: counted once
    assert ["小", "猴", "在", "树", "上", "玩", "。"] in sents
    assert all(BLANK not in s for s in sents) and len(sents) == 3
    text = [["小", "猴", "在", "树", "上", "。"], ["小", "熊", "在", "河", "边", "。"]] * 5
    words, vectors = train_vectors(text, dim=8, window=2, negative=2, epochs=1, min_count=10,
                                   seed=1)
    assert set(words) == {"小", "在", "。"} and vectors.shape == (3, 8)
    again, vectors2 = train_vectors(text, dim=8, window=2, negative=2, epochs=1, min_count=10,
                                    seed=1)
    assert again == words and np.array_equal(vectors, vectors2)  # one thread: reproducible
    assert train_vectors(text, dim=8, window=2, negative=2, epochs=1, min_count=99,
                         seed=1)[1].shape == (0, 8)


def _cmrc(tmp_path):
    cmrc = tmp_path / "cmrc"
    cmrc.mkdir()
    (cmrc / "cloze.valid.doc_query").write_text(DOC_QUERY, encoding="utf-8")
    (cmrc / "cloze.valid.answer").write_text("<qid_0> ||| 小熊\n<qid_1> ||| 老虎\n",
                                             encoding="utf-8")
    return cmrc


def _stage_params(section, **kw):
    import yaml

    from zhpipe.cloze.params import ItemsParams, ReaderParams, VectorsParams

    root = Path(__file__).resolve().parents[3]
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))[section]
    cls = {"cloze_items": ItemsParams, "cloze_vectors": VectorsParams,
           "train_cloze": ReaderParams}[section]
    return cls(**{**params, **kw})


def _cft(tmp_path, stories=8):
    """A prepared CFT folder: small stories, each with one query (the human file's layout)."""
    from zhpipe.corpus.tasks import prepare_cft

    raw = tmp_path / "cft_raw"
    raw.mkdir()
    lines = []
    for k in range(stories):
        a = ["狐狸", "兔子", "小熊", "松鼠"][k % 4]
        lines += [f"1 ||| 第{k}天 ， {a} 在 树林 里 玩 。", f"2 ||| {a} 找到 了 蘑菇 。",
                  "3 ||| 大家 都 夸 XXXXX 能干 。", f"4 ||| 大家 都 夸 XXXXX 能干 。 ||| {a}"]
    (raw / "cft.test.human").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw / "cft.test.auto").write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    out = tmp_path / "cft"
    out.mkdir()
    prepare_cft(raw, out, None, 2000)
    return out


def test_the_three_cloze_stages_chain_in_process(tmp_path):
    """cloze_items -> cloze_vectors -> train_cloze on tiny data, as the DAG runs them: news
    and CFT stories, dev items from held-out stories, a second phase on the stories."""
    from zhpipe.cloze.experiment import train_and_score
    from zhpipe.cloze.items import make_items, read_items
    from zhpipe.cloze.reader import Reader
    from zhpipe.cloze.vectors import VECTORS, make_vectors
    from zhpipe.embeddings.io import load_npz

    pd = tmp_path / "pd1998"
    pd.mkdir()
    (pd / "train.pos.txt").write_text(POS * 30, encoding="utf-8")
    cmrc = _cmrc(tmp_path)
    items = tmp_path / "items"
    items.mkdir()
    from zhpipe.corpus.raw_text import RawTextParams, build

    news = tmp_path / "prepared" / "xwlb"
    news.mkdir(parents=True)
    animals = ["老虎", "熊猫", "大象", "骆驼", "孔雀"]
    (news / "raw.txt").write_text("".join(
        f"动物园里的{a}今天很健康。饲养员每天给{a}送来食物。游客们都来看{b}。\n"
        for a in animals for b in animals), encoding="utf-8")
    raw_text = tmp_path / "raw_text"
    build(RawTextParams(parts={"xwlb": None}), tmp_path / "prepared", raw_text)
    m = make_items(_stage_params("cloze_items", passage_sentences=4, passage_stride=None,
                                 dev_items=2, skip_top_words=0, cft_items_per_story=2,
                                 raw_text_parts=["xwlb"], raw_text_items=5),
                   pd, cmrc, items, _cft(tmp_path), raw_text)
    assert m["train_items"] > 0 and m["dev_items"] >= 2
    by_source = m["items_by_source"]
    assert by_source["pd1998"] > 0 and by_source["cft_items"] > 0
    assert by_source["cft_generated"] > 0 and by_source["raw_text:xwlb"] == 5  # capped
    assert sum(by_source.values()) == m["train_items"]
    train, dev = read_items(items, "train"), read_items(items, "dev")
    assert len(train) == m["train_items"] and all(it.answer in it.tokens for it in train)
    assert all(it.qid.startswith("<qid_cft_") for it in dev)  # held-out stories
    dev_stories = {it.passage[0][0] for it in dev}
    assert not dev_stories & {it.passage[0][0] for it in train}  # no held-out story trained on
    vec = tmp_path / "vec"
    vec.mkdir()
    info = make_vectors(_stage_params("cloze_vectors", dim=8, min_count=1, epochs=1), items,
                        cmrc, None, vec)
    words, vectors, _ = load_npz(vec / VECTORS)
    assert info["words"] == len(words) > 0 and vectors.shape == (len(words), 8)
    assert not info["reads_validation_text"]  # no validation text
    # 老虎 (a validation answer) has a vector from the news part, never from the passages
    assert "老虎" in words and info["valid_answers_covered"] == 100.0
    with pytest.raises(CorpusError, match="raw_text_parts: 'zhwiki' is not a part"):
        make_items(_stage_params("cloze_items", raw_text_parts=["zhwiki"]), pd, cmrc,
                   tmp_path / "x", tmp_path / "cft", raw_text)
    out = tmp_path / "reader"
    got = train_and_score(_stage_params("train_cloze", units=8, dilations=[1], max_doc=64,
                                        story_epochs=1),
                          items, vec / VECTORS, cmrc, out)
    valid = got["cmrc2017"]["valid"]
    assert valid["total"] == 2 and 0 <= valid["accuracy"] <= 100
    assert got["vectors"]["used"] and (out / "cloze.valid.pred").exists()
    assert not valid["reads_validation_text"] and got["dev_items_source"] == "cft"
    assert 0 <= got["dev_top_frequency_accuracy"] <= 100
    assert set(got["dev_accuracy_by_file"]) <= {"cft_auto", "cft_human"}
    assert got["items_by_source"] == by_source
    phases = [h["phase"] for h in got["reader"]["history"]]
    assert phases[0] == "all" and phases[-1] == "second"
    assert len(Reader.load(out).answer(dev)) == len(dev)
    # transductive vectors: learnt from the validation passages too, and labelled so
    info = make_vectors(_stage_params("cloze_vectors", dim=8, min_count=1, epochs=1,
                                      from_passages=True), items, cmrc, None, vec)
    assert set(load_npz(vec / VECTORS)[0]) > set(words) and info["reads_validation_text"]
    got = train_and_score(_stage_params("train_cloze", units=8, dilations=[1], max_doc=64,
                                        ensemble=2), items, vec / VECTORS, cmrc, out)
    assert got["cmrc2017"]["valid"]["reads_validation_text"] and got["reads_validation_text"]
    ens = got["ensemble"]  # two readers: each scored, and their average
    assert ens["members"] == 2 and len(ens["members_valid_accuracy"]) == 2
    assert ens["valid_accuracy"] == got["cmrc2017"]["valid"]["accuracy"]
    assert len(Reader.load(out).readers) == 2


def test_vectors_stage_asks_for_the_word2vec_stage_when_its_vectors_are_missing(tmp_path):
    """`source: word2vec` is not a DAG dep of cloze_vectors: a missing file is a clear error."""
    from zhpipe.cloze.vectors import make_vectors
    from zhpipe.corpus.text import CorpusError

    missing = tmp_path / "word2vec" / "vectors.npz"
    with pytest.raises(CorpusError, match="source: own") as err:
        make_vectors(_stage_params("cloze_vectors", source="word2vec"), tmp_path,
                     _cmrc(tmp_path), missing, tmp_path)
    assert str(missing) in str(err.value) and "word2vec stage" in str(err.value)
