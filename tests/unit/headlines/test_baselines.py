"""The trivial headline baselines: lead of the text and TF-IDF retrieval."""

from zhpipe.headlines.baselines import Retrieval, first_chars, first_clause, first_sentence, lead_baselines
from zhpipe.headlines.experiment import copied_share


def test_leads():
    text = "国务院今天召开常务会议，研究部署春耕。会议指出！要抓好落实"
    assert first_sentence(text) == "国务院今天召开常务会议，研究部署春耕"
    assert first_clause(text) == "国务院今天召开常务会议"
    assert first_chars(text, 5) == "国务院今天"
    assert first_sentence("没有句号的文本") == first_clause("没有句号的文本") == "没有句号的文本"
    assert set(lead_baselines([text], 23)) == {"first_sentence", "first_23_chars",
                                               "first_clause"}


def test_retrieval_answers_the_headline_of_the_most_similar_text():
    texts = ["北京今天下了一场大雪，交通受到影响", "上海气温回升，市民外出踏青",
             "广州港口货运量创新高"]
    heads = ["北京下雪", "上海升温", "广州港口繁忙"]
    r = Retrieval(texts, heads, chars=300)
    assert r(["上海今天气温回升明显", "北京大雪影响交通出行"]) == ["上海升温", "北京下雪"]
    assert copied_share(r(["上海今天气温回升明显"]), set(heads)) == 100.0
    assert copied_share(["新标题"], set(heads)) == 0.0
