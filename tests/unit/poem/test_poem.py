"""The poem stage: extraction of couplets from poem records, the rules of the form, the bigram
baseline, the VAE (train, save, reload in a fresh process) and the command line."""

import json
import subprocess
import sys

import numpy as np
import opencc
import pytest

from zhpipe.corpus import poetry
from zhpipe.corpus.general import prepare_poetry
from zhpipe.corpus.options import PoetryOptions
from zhpipe.corpus.text import CorpusError
from zhpipe.poem import baselines, form

RECORDS = [  # traditional characters, as chinese-poetry has them
    {"id": "q5", "paragraphs": ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。"]},
    {"id": "r5", "paragraphs": ["國破山河在，城春草木深。", "感時花濺淚，恨別鳥驚心。",
                                "烽火連三月，家書抵萬金。", "白頭搔更短，渾欲不勝簪。"]},
    {"id": "q7", "paragraphs": ["兩箇黃鸝鳴翠柳，一行白鷺上青天。", "窗含西嶺千秋雪，門泊東吳萬里船。"]},
    {"id": "note", "paragraphs": ["邏人（一作「叉」）橫鳥道，江祖出魚梁。"]},
    {"id": "mixed", "paragraphs": ["春眠不覺曉，處處聞啼鳥鳥。"]},
    {"id": "odd", "paragraphs": ["床前明月光，疑是地上霜。舉頭望明月。"]},
    {"id": "gap", "paragraphs": ["床前□月光，疑是地上霜。"]},
    {"id": "lost", "paragraphs": ["床前囗月光，疑是地上霜。"]},
    {"id": "restored", "paragraphs": ["何用念芳春，黃葉已[淅]瀝。"]},
]


def test_extract_keeps_5_and_7_character_poems_in_simplified_characters():
    ex = poetry.extract(iter(RECORDS), opencc.OpenCC("t2s"))
    by_id = {p.id: p for p in ex.poems}
    assert by_id["q5"].couplets() == ["白日依山尽，黄河入海流。", "欲穷千里目，更上一层楼。"]
    assert by_id["q5"].form == "quatrain" and by_id["r5"].form == "regulated"
    assert by_id["q7"].chars == 7 and by_id["q7"].couplets()[0] == "两个黄鹂鸣翠柳，一行白鹭上青天。"
    assert by_id["note"].couplets() == ["逻人横鸟道，江祖出鱼梁。"]  # the editor's note is removed
    assert by_id["restored"].couplets() == ["何用念芳春，黄叶已淅沥。"]  # brackets dropped, kept
    assert ex.read == len(RECORDS)
    assert ex.dropped == {"not_5_or_7_throughout": 1, "odd_line_count": 1, "other_characters": 2}


def test_prepare_writes_splits_without_train_couplets_in_test(tmp_path):
    raw = tmp_path / "raw" / "tang"
    raw.mkdir(parents=True)
    digits = "一二三四五六七八九十"
    many = [{"id": f"p{i}", "paragraphs": ["白日依山盡，黃河入海流。",
                                           f"{digits[i // 10]}{digits[i % 10]}千里目，更上一層樓。"]}
            for i in range(60)]
    many += [{"id": f"s{i}", "paragraphs": [f"{digits[i // 10]}{digits[i % 10]}黃鸝鳴翠柳，一行白鷺上青天。"]}
             for i in range(60)]
    (raw / "poet.tang.0.json").write_text(json.dumps(RECORDS + many, ensure_ascii=False))
    out = tmp_path / "out"
    out.mkdir()
    rows = prepare_poetry(tmp_path / "raw", out, PoetryOptions(dev_fraction=0.2, test_fraction=0.2),
                          2000)
    train = set((out / "couplets5.train.txt").read_text().split())
    test = (out / "couplets5.test.txt").read_text().split()
    assert "白日依山尽，黄河入海流。" in train and not set(test) & train
    assert (out / "quatrains7.txt").exists() and (out / "regulated5.txt").exists()
    train_row = next(r for r in rows if r["file"] == "couplets5.train.txt")
    assert train_row["poems_read"] == len(RECORDS) + 120 and train_row["poems_quatrain"] >= 1
    with pytest.raises(CorpusError, match="run the download@poetry stage"):
        prepare_poetry(tmp_path / "nothing", out, PoetryOptions(), 2000)
    (raw / "poet.tang.0.json").write_text("[{\"paragraphs\": 3}]")
    with pytest.raises(CorpusError, match=r"poet.tang.0.json: record 0 has no 'paragraphs'"):
        prepare_poetry(tmp_path / "raw", out, PoetryOptions(), 2000)


# ----------------------------------------------------------------------------- rules of the form
def test_tones_and_patterns_on_hand_checked_lines():
    assert form.tones("白日依山尽") == "平仄平平仄"  # 白 is an entering tone, level today
    assert form.tones("床前明月光") == "平平平仄平"
    # 白日依山尽，黄河入海流: 仄起 pattern A/B at the fixed positions (2, 4, 5)
    assert form.pattern_agreement("白日依山尽", "黄河入海流") == 1.0
    # 床前明月光，疑是地上霜 (平平平仄平，平仄仄仄平; an old-style quatrain): closest to the rhymed
    # opening 平平仄仄平，仄仄仄平平, which 上 (position 4 of the second line) breaks
    assert form.pattern_agreement("床前明月光", "疑是地上霜") == pytest.approx(5 / 6)
    assert form.pattern_agreement("两个黄鹂鸣翠柳", "一行白鹭上青天") == 1.0


def test_rhyme_tracks():
    assert form.rhyme_track("光") == form.rhyme_track("霜") == "江阳"
    assert form.rhyme_track("流") == form.rhyme_track("楼") == "油求"
    assert form.rhyme_track("诗") == form.rhyme_track("衣") == "一七"  # 知 and 衣 share a track
    assert form.rhyme_track("天") != form.rhyme_track("人")


def test_score_counts_form_novelty_and_distinct():
    known = {"白日依山尽，黄河入海流。"}
    lines = {"白日依山尽", "黄河入海流"}
    s = form.score(["白日依山尽，黄河入海流。", "床前明月光，疑是地上霜。", "床前明月，光"],
                   5, known, lines)
    assert s["right_form"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["novel_couplets"] == pytest.approx(2 / 3, abs=1e-4) and s["novel_lines"] == 0.5
    assert s["rhyme_rate"] == 0.5 and s["level_ending"] == 1.0 and s["rhyme_scheme"] == 1.0
    assert form.rhyme_scheme("白日依山尽", "黄河入海流")  # 尽 oblique, 流 level
    assert form.rhyme_scheme("床前明月光", "疑是地上霜")  # 光 level, rhymes with 霜
    assert not form.rhyme_scheme("黄河入海流", "白日依山尽")  # the rhyme foot is oblique
    assert not form.rhyme_scheme("春眠不觉晓", "处处闻啼鸟")
    assert form.distinct(["春春春春春，春春春春春。"], 2) == pytest.approx(1 / 8)


def test_bigram_sampler_samples_what_it_saw_and_scores_likelihood():
    lines = ["白日依山尽，黄河入海流。", "欲穷千里目，更上一层楼。"] * 20
    b = baselines.BigramSampler(lines, k=1e-6)
    out = b.sample(50, seed=0)
    assert all(set(x) <= set("".join(lines)) for x in out)
    assert sum(x in lines for x in out) > 10  # near-deterministic chains reproduce the lines
    assert b.nll_chars(lines[:1]) < b.nll_chars(["流海入河黄，尽山依日白。"])
    assert baselines.training_lines(lines, 5, seed=1)[0] in lines
    formed = b.sample(30, seed=2, chars=5)  # given the form: always two 5-character lines
    assert all(form.split_couplet(x, 5) for x in formed)
    assert all(x[6] in "黄更" for x in formed)  # the second line starts as after a comma


# ----------------------------------------------------------------------------- the VAE
TRAIN = ["白日依山尽，黄河入海流。", "欲穷千里目，更上一层楼。", "国破山河在，城春草木深。",
         "感时花溅泪，恨别鸟惊心。", "烽火连三月，家书抵万金。", "白头搔更短，浑欲不胜簪。",
         "床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"] * 16


def _train(tmp_path, **kw):
    from zhpipe.poem import vae

    args = dict(dim=16, latent=8, encoder_convs=1, decoder_convs=1, dropout=0.0, min_count=1,
                batch_size=16, learning_rate=0.01, epochs=3, patience=2, kl_warmup_steps=10,
                free_bits=0.1, seed=3)
    args.update(kw)
    return vae.train(TRAIN, TRAIN[:8], 5, **args)


@pytest.mark.keras
def test_vae_learns_saves_and_reloads_in_a_fresh_process(tmp_path):
    from zhpipe.poem import vae

    writer, info = _train(tmp_path)
    h = info["history"]
    assert h[-1]["dev_recon_nats"] < h[0]["dev_recon_nats"]
    assert info["train_couplets"] == len(TRAIN) and len(h[0]) >= 7
    out = writer.generate(6, seed=7)
    assert all(form.split_couplet(c, 5) for c in out)  # the form holds by construction
    assert all(ch in writer.vocab.index for c in out for ch in c if ch not in "，。")
    m = vae.evaluate(writer, np.stack([writer.vocab.encode(vae.strip(c, 5)) for c in TRAIN[:8]]))
    assert len(m["kl_per_dim"]) == 8 and 0 <= m["active_units"] <= 8
    assert m["neg_elbo_nats"] == pytest.approx(m["recon_nats"] + m["kl_nats"], abs=1e-3)
    # sampling at a temperature: well-formed, never a special; near 0 it is the argmax
    hot = writer.generate(30, seed=7, temperature=1.5)
    assert all(form.split_couplet(c, 5) for c in hot) and len(set(hot)) > len(set(out)) / 2
    assert writer.generate(6, seed=7, temperature=1e-9) == out
    writer.save(tmp_path / "poem5")
    steps = writer.interpolate(TRAIN[0], TRAIN[1], 4)
    code = ("import sys, json; from zhpipe.poem.vae import PoemWriter; "
            "w = PoemWriter.load(sys.argv[1]); "
            "print(json.dumps([w.generate(6, seed=7), w.interpolate(sys.argv[2], sys.argv[3], 4)],"
            " ensure_ascii=False))")
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path / "poem5"), TRAIN[0], TRAIN[1]],
                         capture_output=True, text=True, check=True)
    assert json.loads(res.stdout.strip().splitlines()[-1]) == [out, steps]


@pytest.mark.keras
@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_decoding_by_the_rules_never_writes_a_character_twice_and_keeps_the_pattern(
        tmp_path, temperature):
    writer, _ = _train(tmp_path, epochs=1)
    out = writer.generate(40, seed=2, temperature=temperature, rules=True)
    assert all(form.split_couplet(c, 5) for c in out)
    assert all(len(set(c[:5] + c[6:11])) == 10 for c in out)  # no character twice
    toned = writer.generate(40, seed=2, temperature=temperature, rules=True,
                            tone_pattern=True)
    pats = form.pattern_codes(5)
    for c in toned:
        codes = writer.char_tones[writer.vocab.encode(c[:5] + c[6:11])]
        # some legal pattern holds at every fixed position whose character has a known tone
        fixed = pats > 0
        assert any(((codes == p) | ~fixed[i] | (codes == 0)).all()
                   for i, p in enumerate(pats))
        assert len(set(c[:5] + c[6:11])) == 10
    # the settings travel with the model
    writer.decoding = {"temperature": temperature, "rules": True, "tone_pattern": True}
    writer.save(tmp_path / "poem5")
    again = vae_load(tmp_path / "poem5")
    assert again.generate(40, seed=2) == toned


def vae_load(folder):
    from zhpipe.poem.vae import PoemWriter

    return PoemWriter.load(folder)


@pytest.mark.keras
def test_vae_rejects_a_line_of_the_wrong_form(tmp_path):
    from zhpipe.poem import vae

    with pytest.raises(ValueError, match="not a couplet of two 5-character lines"):
        vae.strip("白日依山，黄河入海流。", 5)


@pytest.mark.keras
def test_cli_poem(tmp_path, capsys):
    from zhpipe.cli import main

    writer, _ = _train(tmp_path, epochs=1)
    writer.save(tmp_path / "models" / "poem5")
    assert main(["poem", "-n", "3", "--seed", "1", "--models", str(tmp_path / "models")]) == 0
    out = capsys.readouterr().out.split()
    assert len(out) == 3 and all(form.split_couplet(c, 5) for c in out)
    assert main(["poem", "--between", TRAIN[0], TRAIN[2], "-n", "4",
                 "--models", str(tmp_path / "models")]) == 0
    assert len(capsys.readouterr().out.split()) == 4
    assert main(["poem", "--chars", "7", "--models", str(tmp_path / "models")]) == 2
    assert "train_poem" in capsys.readouterr().err
    assert main(["poem", "--between", "白日", TRAIN[2], "--models", str(tmp_path / "models")]) == 2
    assert "--between" in capsys.readouterr().err
    for bad, name in ((["-n", "0"], "-n/--count"), (["-n", "x"], "-n/--count"),
                      (["--chars", "6"], "--chars")):
        with pytest.raises(SystemExit):
            main(["poem", *bad])
        assert name in capsys.readouterr().err
