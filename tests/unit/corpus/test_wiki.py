from conftest import make_wiki_dump

from zhpipe.corpus.general import prepare_zhwiki
from zhpipe.corpus.options import WikiOptions
from zhpipe.corpus.wiki import iter_articles


def test_dump_is_streamed_to_simplified_plain_text(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "zhwiki-latest-pages-articles.xml.bz2").write_bytes(make_wiki_dump())
    titles = [t for t, _ in iter_articles(raw / "zhwiki-latest-pages-articles.xml.bz2")]
    assert titles == ["北京"]  # the redirect and the project page are skipped
    rows = prepare_zhwiki(raw, tmp_path, WikiOptions(), 2000)
    lines = (tmp_path / "raw.txt").read_text(encoding="utf-8").splitlines()
    assert lines == ["北京是中华人民共和国的首都，也是全国的政治中心。", "北京有很多历史悠久的名胜古迹。"]
    assert rows[0]["sentences"] == 2


def test_disabled_dataset_gives_an_empty_corpus(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = prepare_zhwiki(raw, tmp_path, WikiOptions(), 2000)
    assert (tmp_path / "raw.txt").read_text() == "" and rows[0]["sentences"] == 0
