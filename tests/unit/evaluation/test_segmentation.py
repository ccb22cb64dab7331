import pytest

from zhpipe.evaluation.segmentation import StreamMismatch, score_segmentation


def test_hand_computed_precision_recall_f1_and_oov():
    gold = [["北京", "欢迎", "你"], ["中华", "人民", "共和国"]]
    pred = [["北京", "欢", "迎", "你"], ["中华人民", "共和国"]]
    s = score_segmentation(gold, pred, vocabulary={"北京", "欢迎", "你", "中华", "人民"})
    # correct spans: 北京, 你, 共和国 -> C=3, G=6, P=6
    assert (s.correct_words, s.gold_words, s.predicted_words) == (3, 6, 6)
    assert s.precision == pytest.approx(0.5) and s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(0.5)
    assert s.oov_rate == pytest.approx(1 / 6)  # 共和国
    assert s.oov_recall == pytest.approx(1.0)
    assert s.iv_recall == pytest.approx(2 / 5)
    assert s.by_length["2"] == {"gold": 4, "predicted": 1, "correct": 1, "precision": 1.0,
                                "recall": 0.25, "f1": pytest.approx(0.4)}
    assert s.by_length["1"]["predicted"] == 3


def test_line_breaks_may_differ_between_gold_and_prediction():
    gold = [["他", "说", "“"], ["你好", "”"]]
    pred = [["他", "说"], ["“", "你好", "”"]]
    s = score_segmentation(gold, pred)
    assert s.f1 == 1.0 and s.oov_recall is None


def test_different_text_is_an_error_naming_the_place():
    with pytest.raises(StreamMismatch, match=r"character 2 \(gold line 2, predicted line 2\)"):
        score_segmentation([["北京"], ["你"]], [["北京"], ["他"]])


def test_empty_prediction_against_empty_gold():
    s = score_segmentation([[]], [[]])
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)
