"""The one beam search (zhpipe.seq2seq.beam), on a decoder small enough to enumerate."""

import itertools

import numpy as np
import pytest

from zhpipe.seq2seq.beam import beam_search

V, BOS, EOS = 6, 2, 3  # ids 4 and 5 are the "characters"; 0, 1 are never allowed


def _markov(seed):
    """A decoder whose next-id distribution depends on the previous id and the input's row."""
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(2, V, V)) * 2

    def init(src):
        return {"row": src[:, :1].astype(np.int64)}

    def step(prev, t, state):
        logits = table[state["row"][:, 0], prev]
        return logits - np.log(np.exp(logits).sum(1, keepdims=True)), state

    def logp(row, seq):
        total, prev = 0.0, BOS
        for y in seq:
            lg = table[row, prev]
            total += lg[y] - np.log(np.exp(lg).sum())
            prev = y
        return total

    return init, step, logp


def _mask(logp, t, prefix):
    logp = logp.copy()
    logp[:, [0, 1, BOS]] = -np.inf
    return logp


def _brute(logp, row, max_len, min_len, penalty):
    best, best_score = None, -np.inf
    for n in range(min_len, max_len + 1):
        for body in itertools.product([4, 5], repeat=n):
            finished = n < max_len
            seq = list(body) + ([EOS] if finished else [])
            s = logp(row, seq)
            ranked = s / max(n, 1) ** penalty
            if ranked > best_score:
                best, best_score = (list(body), s), ranked
    return best


@pytest.mark.parametrize("penalty", [0.0, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_wide_beam_finds_the_best_sequence_with_an_end_id(seed, penalty):
    init, step, logp = _markov(seed)
    src = np.array([[0], [1]])
    ids, scores = beam_search(init, step, src, bos=BOS, eos=EOS, max_len=4, beam=64,
                              mask=_mask, length_penalty=penalty)
    for row in (0, 1):
        want, want_score = _brute(logp, row, 4, 1, penalty)
        assert ids[row].tolist() == want
        assert scores[row] == pytest.approx(want_score)


def test_no_end_before_min_len_and_a_narrow_beam_is_still_well_formed():
    init, step, _ = _markov(3)
    src = np.array([[0], [1], [0]])
    for beam in (1, 2, 5):
        ids, scores = beam_search(init, step, src, bos=BOS, eos=EOS, max_len=6, beam=beam,
                                  mask=_mask, min_len=2)
        assert all(2 <= len(x) <= 6 and set(x.tolist()) <= {4, 5} for x in ids)
        assert np.isfinite(scores).all()
        assert ids[0].tolist() == ids[2].tolist()  # the same input, the same answer


def test_without_an_end_id_every_output_has_max_len_ids_and_beam_one_is_greedy():
    init, step, logp = _markov(4)
    src = np.array([[1]])
    ids, _ = beam_search(init, step, src, bos=BOS, max_len=5, beam=1, mask=_mask)
    prev, greedy = BOS, []
    for _ in range(5):
        lp = _mask(step(np.array([prev]), 0, init(src))[0], 0, None)[0]
        prev = int(lp.argmax())
        greedy.append(prev)
    assert ids[0].tolist() == greedy
    with pytest.raises(ValueError, match="beam width"):
        beam_search(init, step, src, bos=BOS, max_len=2, beam=0)


def test_no_repeat_ngram_bans_exactly_the_ids_that_would_repeat_one():
    from zhpipe.seq2seq.beam import chain, no_repeat_ngram

    prefix = np.array([[4, 5, 4, 5, 4],    # 3-grams so far: 454, 545, 454: after "54" came 5
                       [4, 5, 6, 7, 8],    # no repeat possible: nothing banned
                       [7, 7, 7, 7, 7]])   # after "77" comes 7
    out = no_repeat_ngram(3)(np.zeros((3, 10)), 5, prefix)
    assert np.isinf(out[0, 5]) and np.isfinite(np.delete(out[0], 5)).all()
    assert np.isfinite(out[1]).all()
    assert np.isinf(out[2, 7]) and np.isfinite(np.delete(out[2], 7)).all()
    assert np.isfinite(no_repeat_ngram(3)(np.zeros((3, 10)), 1, prefix[:, :1])).all()
    both = chain(no_repeat_ngram(2), _mask)(np.zeros((3, 10)), 5, prefix)
    assert np.isinf(both[0, [0, 1, BOS, 5]]).all()  # after "4" came 5; and the specials
    init, step, _ = _markov(5)
    ids, _ = beam_search(init, step, np.array([[0], [1]]), bos=BOS, eos=EOS, max_len=12,
                         beam=3, mask=chain(_mask, no_repeat_ngram(2)))
    for row in ids:  # with two ids, no bigram can repeat: at most 4 bigrams + ends
        grams = list(zip(row[:-1].tolist(), row[1:].tolist(), strict=True))
        assert len(grams) == len(set(grams))
    with pytest.raises(ValueError, match="n >= 2"):
        no_repeat_ngram(1)
