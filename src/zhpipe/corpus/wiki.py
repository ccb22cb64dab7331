"""Plain text from a MediaWiki XML dump (the Chinese Wikipedia ``pages-articles`` dump), streamed.

The bz2 file is decompressed as a stream and parsed with ``iterparse``; each article (namespace
0, not a redirect) is turned into text with mwparserfromhell: references, files, categories and
interlanguage links are dropped, templates and tables removed, markup stripped. Text is converted
to simplified characters with OpenCC (``t2s``) and normalised like every other corpus. Memory
stays flat: each page element is cleared once read.
"""

from __future__ import annotations

import bz2
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from zhpipe.corpus.text import clean_raw

# files, categories and interlanguage links ([[en:Beijing]]) carry no prose
_DROP_LINKS = re.compile(
    r"^\s*:?\s*(file|image|category|文件|檔案|图像|圖像|分类|分類|[a-z]{2,3}(-[a-z]+)?):", re.I)
_SENT = re.compile(r"(?<=[。！？])")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def iter_articles(path: str | os.PathLike, max_articles: int | None = None
                  ) -> Iterator[tuple[str, str]]:
    """Yield ``(title, wikitext)`` of the articles of a ``.xml`` or ``.xml.bz2`` dump."""
    opener = bz2.open if str(path).endswith(".bz2") else open
    n = 0
    with opener(path, "rb") as fh:
        title = ns = text = None
        redirect = False
        for _event, elem in ET.iterparse(fh, events=("end",)):
            tag = _local(elem.tag)
            if tag == "title":
                title = elem.text or ""
            elif tag == "ns":
                ns = (elem.text or "").strip()
            elif tag == "redirect":
                redirect = True
            elif tag == "text":
                text = elem.text or ""
            elif tag == "page":
                if ns == "0" and not redirect and text:
                    yield title, text
                    n += 1
                    if max_articles is not None and n >= max_articles:
                        return
                title = ns = text = None
                redirect = False
                elem.clear()


def wikitext_to_text(wikitext: str) -> str:
    """Article wikitext to plain text (paragraphs separated by newlines)."""
    import mwparserfromhell

    code = mwparserfromhell.parse(wikitext)
    for node in code.filter_tags(recursive=False):
        if str(node.tag).lower() in ("ref", "table", "gallery", "math", "references"):
            try:
                code.remove(node)
            except ValueError:
                pass
    for node in code.filter_templates(recursive=False):
        try:
            code.remove(node)
        except ValueError:
            pass
    for node in code.filter_wikilinks():
        if _DROP_LINKS.match(str(node.title)):
            try:
                code.remove(node)
            except ValueError:
                pass
    return code.strip_code(normalize=True, collapse=True)


def article_lines(wikitext: str, converter, min_chars: int) -> list[str]:
    """Cleaned, simplified sentences of one article (lines shorter than ``min_chars`` dropped:
    headings, list stubs)."""
    text = converter.convert(wikitext_to_text(wikitext))
    out = []
    for para in text.split("\n"):
        para = clean_raw(para)
        if len(para) < min_chars:
            continue
        out.extend(s for s in _SENT.split(para) if len(s) >= min_chars)
    return out


def extract(path: str | os.PathLike, max_articles: int | None = None, min_chars: int = 10,
            ) -> Iterator[str]:
    """Sentences of simplified plain text from a dump, streamed."""
    import opencc

    converter = opencc.OpenCC("t2s")
    for _, wikitext in iter_articles(path, max_articles):
        yield from article_lines(wikitext, converter, min_chars)
