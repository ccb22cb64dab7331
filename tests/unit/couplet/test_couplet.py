"""Couplet models: constraints, beam search, the two models, metrics, the command line."""

import itertools

import keras
import numpy as np
import pytest

from zhpipe.couplet.data import (
    BOS,
    CharVocab,
    CoupletError,
    check_upper,
    constraints,
    is_han,
    read_pairs,
    render,
)
from zhpipe.couplet.decode import beam_search, greedy
from zhpipe.couplet.metrics import bleu, couplet_scores, punct_aligned, repetition_pattern
from zhpipe.couplet.models import (
    Seq2SeqInference,
    build_seq2seq,
    build_tagger,
    build_transformer,
    shift_right,
)
from zhpipe.couplet.train import KINDS, Couplet, train_couplet

PAIRS = [("晚风摇树树还挺", "晨露润花花更红"), ("丹枫江冷人初去", "绿柳堤新燕复来"),
         ("天高云淡", "海阔风轻"), ("春风得意", "秋月无边"), ("山青水秀", "柳绿花红"),
         ("风调雨顺，国泰民安", "人寿年丰，家和业兴"), ("明月清风", "青山绿水"),
         ("花开富贵", "竹报平安"), ("一帆风顺", "万事如意"), ("书山有路", "学海无涯")] * 3


def vocab():
    return CharVocab.build(x for p in PAIRS for x in p)


def build(kind: str, size: int, dim: int = 16, dropout: float = 0.1):
    if kind == "tagger":
        return build_tagger(size, dim=dim, dilations=(1, 2), dropout=dropout)
    if kind == "seq2seq":
        return build_seq2seq(size, dim=dim, dilations=(1, 2), dropout=dropout, heads=2)
    return build_transformer(size, dim=dim, layers=2, heads=2, dropout=dropout, max_len=20)


def test_vocab_and_constraints():
    v = vocab()
    assert v.chars[:3] == ["<pad>", "<unk>", "<s>"]
    assert not v.free_ok[v.index["，"]] and v.free_ok[v.index["风"]]
    forced, same = constraints("风调雨顺，风A", v)
    assert forced.tolist() == [-1, -1, -1, -1, v.index["，"], -1, 1]  # 'A' unknown -> <unk>
    assert same.tolist() == [-1, -1, -1, -1, -1, 0, -1]
    assert render("风A，", [v.index["雨"], 1, v.index["，"]], v) == "雨A，"
    assert is_han("龘") and not is_han("，") and not is_han("a")


def test_read_pairs_skips_unequal_and_names_bad_lines(tmp_path):
    f = tmp_path / "p.tsv"
    f.write_text("天高\t海阔\n天\t海阔\n\n", encoding="utf-8")
    assert read_pairs(f) == ([("天高", "海阔")], 1)
    f.write_text("天高\t海阔\n天高海阔\n", encoding="utf-8")
    with pytest.raises(CoupletError, match=r"p.tsv:2"):
        read_pairs(f)


def test_check_upper():
    assert check_upper(" 天 高 ", 10) == "天高"
    with pytest.raises(CoupletError, match="empty"):
        check_upper("  ", 10)
    with pytest.raises(CoupletError, match="longer than the model's maximum 3"):
        check_upper("天高云淡", 3)


# ----------------------------------------------------------------------------- decoding


def toy_model(v: int, seed: int = 0):
    """A step function whose scores depend on the whole prefix (through a hash)."""
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(997, v))

    def init(upper):
        return {"h": np.zeros((len(upper), 1), np.int64)}

    def step(prev, t, state):
        h = (state["h"][:, 0] * 31 + prev * 7 + t) % 997
        logits = table[h]
        logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        return logp, {"h": h[:, None]}

    return init, step


def brute_force(step_score, t_len, allowed):
    best, best_seq = -np.inf, None
    for seq in itertools.product(range(len(allowed)), repeat=t_len):
        if not all(allowed[i] for i in seq):
            continue
        s = step_score(seq)
        if s > best:
            best, best_seq = s, seq
    return best_seq, best


@pytest.mark.parametrize("distinct", [False, True])
def test_beam_search_finds_the_best_sequence_when_wide_enough(distinct):
    v, t_len = 7, 3  # ids 0-2 special, 3-6 free
    init, step = toy_model(v)
    free_ok = np.array([False] * 3 + [True] * 4)
    upper = np.array([[3, 4, 5]])
    forced = np.full((1, t_len), -1)
    same = np.full((1, t_len), -1)

    def score(seq):
        if distinct and len(set(seq)) < len(seq):
            return -np.inf
        state, prev, total = init(upper), np.array([BOS]), 0.0
        for t, tok in enumerate(seq):
            logp, state = step(prev, t, state)
            total += logp[0, tok]
            prev = np.array([tok])
        return total

    want, want_score = brute_force(score, t_len, free_ok)
    got, got_score = beam_search(init, step, upper, forced, same, free_ok, beam=v ** t_len,
                                 distinct=distinct)
    assert tuple(got[0]) == want
    assert got_score[0] == pytest.approx(want_score)


def test_beam_one_equals_greedy_and_constraints_hold():
    v = 12
    init, step = toy_model(v, seed=3)
    free_ok = np.array([False] * 4 + [True] * 8)  # id 3 plays the punctuation mark
    upper = np.array([[5, 6, 3, 5, 7], [8, 9, 10, 11, 3]])
    forced = np.array([[-1, -1, 3, -1, -1], [-1, -1, -1, -1, 3]])
    same = np.array([[-1, -1, -1, 0, -1], [-1] * 5])
    g, gs = greedy(init, step, upper, forced, same, free_ok, no_copy=True)
    b, bs = beam_search(init, step, upper, forced, same, free_ok, beam=1, no_copy=True)
    assert (g == b).all() and np.allclose(gs, bs)
    b5, bs5 = beam_search(init, step, upper, forced, same, free_ok, beam=5, no_copy=True)
    assert (bs5 >= bs - 1e-9).all()  # a wider beam never finds a worse sequence here
    for out in (g, b5):
        assert out[0, 2] == 3 and out[1, 4] == 3 and out[0, 3] == out[0, 0]
        for r, (row, up) in enumerate(zip(out, upper, strict=True)):
            free = [i for i in range(5) if up[i] != 3 and not (r == 0 and i == 3)]
            assert len({row[i] for i in free}) == len(free)  # distinct
            assert not set(row[free]) & set(up)  # no echo


@pytest.mark.parametrize("kind", KINDS)
def test_constraints_hold_on_random_inputs(kind):
    v = vocab()
    keras.utils.set_random_seed(0)
    model = build(kind, len(v))
    couplet = Couplet(kind, model, v, max_len=20)
    rng = np.random.default_rng(0)
    alphabet = list("天地风云山水，。！A1春秋") + ["龘"]  # 龘: an ideograph outside the vocabulary
    uppers = ["".join(rng.choice(alphabet, rng.integers(1, 12))) for _ in range(40)]
    for beam in (1, 3):
        outs = couplet.generate(uppers, beam=beam)
        for u, o in zip(uppers, outs, strict=True):
            assert len(o) == len(u)
            assert punct_aligned(u, o)
            assert repetition_pattern(u) == repetition_pattern(o)
            assert not {c for c in o if is_han(c)} & set(u)


@pytest.mark.parametrize("kind", ["seq2seq", "transformer"])
def test_step_inference_matches_training_graph(kind):
    from zhpipe.seq2seq.transformer import TransformerInference

    keras.utils.set_random_seed(1)
    m = build(kind, 20)
    rng = np.random.default_rng(1)
    up = rng.integers(3, 20, (3, 5)).astype("int32")
    lo = rng.integers(3, 20, (3, 5)).astype("int32")
    full = keras.ops.convert_to_numpy(
        keras.ops.log_softmax(m([up, shift_right(lo)], training=False), -1))
    inf = (Seq2SeqInference if kind == "seq2seq" else TransformerInference)(m)
    state, prev = inf.init(up), np.full(3, BOS)
    for t in range(5):
        logp, state = inf.step(prev, t, state)
        np.testing.assert_allclose(logp, full[:, t], atol=1e-5)
        prev = lo[:, t]


def test_seq2seq_beam_search_is_exact_on_a_tiny_model():
    """With a beam as wide as all sequences, beam search returns the sequence the training
    graph scores best."""
    chars = ["<pad>", "<unk>", "<s>", "天", "地", "人"]
    v = CharVocab(chars)
    keras.utils.set_random_seed(2)
    m = build_seq2seq(len(v), dim=8, dilations=(1,), heads=1)
    couplet = Couplet("seq2seq", m, v, distinct=False, no_copy=False)
    up = v.encode("天地人")[None]
    seqs = list(itertools.product([3, 4, 5], repeat=3))
    lo = np.array(seqs, np.int32)
    logp = keras.ops.convert_to_numpy(keras.ops.log_softmax(
        m([np.repeat(up, len(seqs), 0), shift_right(lo)], training=False), -1))
    scores = np.take_along_axis(logp, lo[:, :, None], 2)[..., 0].sum(1)
    best = "".join(chars[i] for i in seqs[int(scores.argmax())])
    assert couplet.generate(["天地人"], beam=27) == [best]


@pytest.mark.parametrize("kind", KINDS)
def test_training_save_and_load_round_trip(kind, tmp_path):
    v = vocab()
    couplet, info = train_couplet(kind, PAIRS, PAIRS[:5], v, dim=16, dilations=(1, 2),
                                  dropout=0.0, heads=2, tokens_per_batch=64, learning_rate=0.01,
                                  epochs=2, patience=2, seed=0, layers=1, label_smoothing=0.1)
    assert len(info["history"]) == 2 and np.isfinite(info["best_dev_loss"])
    assert info["history"][1]["loss"] < info["history"][0]["loss"]
    couplet.save(tmp_path)
    again = Couplet.load(tmp_path, kind)
    assert again.vocab.chars == v.chars
    x = v.encode("天高云淡")[None]
    args = x if kind == "tagger" else [x, shift_right(x)]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(couplet.model(args)),
                               keras.ops.convert_to_numpy(again.model(args)), atol=1e-6)
    assert again.generate(["天高云淡"], beam=2) == couplet.generate(["天高云淡"], beam=2)


def test_a_time_budget_stops_training_between_passes():
    v = vocab()
    kw = dict(dim=8, dilations=(1,), dropout=0.0, heads=1, tokens_per_batch=64,
              learning_rate=0.01, epochs=3, patience=3, seed=0)
    _, info = train_couplet("tagger", PAIRS, PAIRS[:5], v, max_seconds=0.0, **kw)
    assert len(info["history"]) == 1 and info["stopped_by_time"]  # one pass, then no more
    _, info = train_couplet("tagger", PAIRS, PAIRS[:5], v, max_seconds=None, **kw)
    assert len(info["history"]) == 3 and not info["stopped_by_time"]


def test_load_names_the_missing_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_couplet"):
        Couplet.load(tmp_path, "seq2seq")


# ----------------------------------------------------------------------------- metrics


def test_bleu_on_hand_made_cases():
    assert bleu(["天高云淡风"], ["天高云淡风"]) == pytest.approx(100)
    assert bleu(["天高云淡风"], ["海阔山青水"]) == pytest.approx(0)
    # 1-4 gram precisions 4/5, 3/4, 2/3, 1/2, no brevity penalty
    assert bleu(["天高云淡风"], ["天高云淡雨"]) == pytest.approx(100 * 0.2 ** 0.25, abs=0.01)
    assert bleu(["天高云淡风"], ["天高云淡雨"], order=1) == pytest.approx(80)


def test_sentence_bleu_is_nltks_method2():
    from zhpipe.couplet.metrics import sentence_bleu

    # p1 4/5; orders 2-4 smoothed: (3+1)/(4+1), (2+1)/(3+1), (1+1)/(2+1)
    want = 100 * (0.8 * 0.8 * 0.75 * (2 / 3)) ** 0.25
    assert sentence_bleu(["天高云淡风"], ["天高云淡雨"]) == pytest.approx(want, abs=1e-6)
    assert sentence_bleu(["天高云淡风"], ["海阔山青水"]) == 0  # no character matches
    # a 2-character line has no 3- or 4-grams: 0/1 smoothed to 1/2 each (as nltk does)
    assert sentence_bleu(["天高", "天高云淡风"], ["天高", "海阔山青水"]) == pytest.approx(
        100 * 0.5 ** 0.5 / 2)


def test_floors_lookup_and_memorise():
    from zhpipe.couplet.baselines import floors

    train = [("天高", "地厚"), ("天长", "地久"), ("天高", "海阔"), ("天高", "海阔"), ("云，", "雨，")]
    got = floors(train, ["天高", "云天", "风，", "天长"])
    # 天 is opposite 地 twice and 海 twice: the first most common wins; 风 unseen: the
    # commonest lower character; punctuation copied
    assert got["lookup"][0][0] in "地海" and got["lookup"][1] == "雨" + got["lookup"][0][0]
    assert got["lookup"][2][1] == "，"
    assert got["memorise"][0] == "海阔" and got["memorise"][3] == "地久"
    assert got["memorise"][1] == got["lookup"][1]  # nothing to remember: the lookup line


def test_couplet_scores():
    uppers = ["天高，云淡", "山山水水"]
    refs = ["海阔，风轻", "柳柳花花"]
    hyps = ["海阔，云轻", "柳绿花红"]
    s = couplet_scores(uppers, refs, hyps)
    assert s["length_match"] == 100 and s["punct_alignment"] == 100
    assert s["repetition_agreement"] == 50  # 柳绿花红 does not mirror 山山水水
    assert s["copy_rate"] == pytest.approx(100 / 8)  # 云 echoes the upper line
    assert s["reference_copy_rate"] == 0 and s["reference_repetition_agreement"] == 100
    assert not punct_aligned("天，", "天地") and not punct_aligned("天", "天地")


# ----------------------------------------------------------------------------- command line


def test_cli_couplet(tmp_path, capsys, monkeypatch):
    import io

    from zhpipe.cli import main

    v = vocab()
    keras.utils.set_random_seed(0)
    Couplet("tagger", build_tagger(len(v), dim=8, dilations=(1,)), v, max_len=8).save(tmp_path)
    assert main(["couplet", "--model", "tagger", "--models", str(tmp_path), "天高，云淡"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and len(out[0]) == 5 and out[0][2] == "，"
    monkeypatch.setattr("sys.stdin", io.StringIO("天高云淡\n\n天高云淡风轻雨急山青\n春风\n"))
    assert main(["couplet", "--model", "tagger", "--models", str(tmp_path), "--beam", "2"]) == 1
    cap = capsys.readouterr()
    lines = cap.out.split("\n")[:4]
    assert [len(x) for x in lines] == [4, 0, 0, 2]  # the too-long line 3 answered empty
    assert "line 3" in cap.err and "maximum 8" in cap.err
    assert main(["couplet", "--models", str(tmp_path / "none"), "天"]) == 2
    assert "train_couplet" in capsys.readouterr().err


@pytest.mark.parametrize("kind", KINDS)
def test_a_padded_line_is_scored_as_the_line_alone(kind):
    """Training pads lines to a few lengths (issue 19: one JAX compilation per shape); the
    real positions of a padded line must get exactly the logits of the unpadded line."""
    from zhpipe.couplet.data import PAD, pad_rows, padded_length, shape_buckets

    keras.utils.set_random_seed(3)
    model = build(kind, 30, dropout=0.0)
    rng = np.random.default_rng(0)
    lines = [rng.integers(3, 30, n).astype("int32") for n in (6, 8, 3)]
    length = padded_length(8)
    assert length == 9
    up = pad_rows(lines, np.array([0, 1, 2, -1]), length)
    lo = pad_rows(lines[::-1], np.array([2, 1, 0, -1]), length)  # any ids: teacher forcing
    assert (up[3] == PAD).all()
    x = up if kind == "tagger" else [up, shift_right(lo)]
    padded = np.asarray(model.predict_on_batch(x))
    for row, line in enumerate(lines):
        alone = line[None]
        prev = shift_right(lo[row:row + 1, :len(line)])
        want = np.asarray(model.predict_on_batch(alone if kind == "tagger" else [alone, prev]))
        np.testing.assert_allclose(padded[row, :len(line)], want[0], rtol=1e-4, atol=1e-5)
    # every batch of one padded length has the same number of rows: few shapes in a run
    lengths = rng.integers(1, 30, 500)
    batches = shape_buckets(lengths, 256, seed=1)
    assert {len(ids) for n, ids in batches} == {256 // n for n, _ in batches}
    assert sorted(i for _, ids in batches for i in ids if i >= 0) == list(range(500))
    assert len({(n, len(ids)) for n, ids in batches}) <= 12


def test_reranking_by_form_picks_the_best_formed_beam(tmp_path):
    from zhpipe.couplet.form import pair_form

    v = vocab()
    keras.utils.set_random_seed(4)
    couplet = Couplet("seq2seq", build("seq2seq", len(v)), v)
    uppers = ["春风得意", "天高云淡", "明月清风"]
    plain = couplet.generate(uppers, beam=5)
    assert couplet.generate(uppers, beam=5, form_weight=0.0) == plain
    heavy = couplet.generate(uppers, beam=5, form_weight=1000.0)
    for u, a, b in zip(uppers, plain, heavy, strict=True):
        assert pair_form(u, b)["form"] >= pair_form(u, a)["form"]
        assert len(b) == len(u) and not set(b) & set(u)  # the rules still hold
    # with so heavy a weight the pick is the best-formed of the beam's lines, whatever the model
    # prefers: checked against the beams themselves
    from zhpipe.couplet.data import constraints
    from zhpipe.couplet.decode import candidates

    for u, b in zip(uppers, heavy, strict=True):
        forced, same = constraints(u, v)
        rows, scores = candidates(couplet.decoder.init, couplet.decoder.step, v.encode(u)[None],
                                  forced[None], same[None], v.free_ok, beam=5, no_copy=True)
        lines = [render(u, r, v) for r, s in zip(rows[0], scores[0], strict=True)
                 if np.isfinite(s)]
        forms = [pair_form(u, line)["form"] for line in lines]
        assert pair_form(u, b)["form"] == max(forms) and b in lines
    assert heavy != plain  # the tiny untrained model's own first choice is not the best-formed
    # the weight is saved with the model and used by default
    Couplet("seq2seq", couplet.model, v, form_weight=1000.0).save(tmp_path)
    assert Couplet.load(tmp_path, "seq2seq").generate(uppers, beam=5) == heavy


def test_best_names_the_model_the_stage_chose(tmp_path):
    import json

    from zhpipe.couplet.train import best_kind

    assert best_kind(tmp_path) == "seq2seq"  # nothing recorded: the seq2seq model
    (tmp_path / "best.json").write_text(json.dumps({"kind": "tagger"}))
    v = vocab()
    Couplet("tagger", build("tagger", len(v)), v).save(tmp_path)
    assert best_kind(tmp_path) == "tagger" and Couplet.load(tmp_path).kind == "tagger"
