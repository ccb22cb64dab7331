"""Preparing the Xinwen Lianbo (新闻联播) archive as (headline, text) pairs split by date.

The download holds one JSON file a day (``days/YYYYMMDD.json``): ``videoList[]`` items, each with
``video_detail.title`` (the headline, after a ``[视频]`` prefix) and ``video_detail.content``
(HTML paragraphs opening with ``央视网消息（新闻联播）：`` or, before 2013, ``中国网络电视台消息
(新闻联播)：``). What this module does with them, and why:

* **HTML** tags are removed, entities decoded, the text normalised (:func:`clean_raw`: no
  whitespace left), the broadcaster's opening removed.
* **The programme summary** (``新闻联播完整版视频 20190101``, ``《新闻联播》 20150101 19:00``)
  is the whole evening, not a story: dropped.
* **Daily round-ups** (``国内联播快讯``, ``国际联播快讯``, ...: ``drop_headlines``) carry the same
  headline over several unrelated stories, so no text predicts them: dropped.
* **Series tags** in 【】 before the headline proper (``【新思想引领新征程】...``, 1,107 series)
  name the campaign the story ran under, which the text does not say: removed from the
  headline (a headline that is only a tag is dropped). The count removed is reported.
* **Repeated headlines** (``李强主持召开国务院常务会议``): one pair per distinct headline, its
  earliest, so a test headline never also appears as a training headline (and retrieval cannot
  score by finding the same headline again).
* Pairs whose text has fewer than ``min_text_chars`` characters are dropped; texts are cut to
  ``max_text_chars`` (the models read far fewer).
* **Split by date**: ``test`` from ``test_from`` on, ``dev`` the ``dev_months`` months before it,
  ``train`` everything earlier. Files: ``train.tsv``, ``dev.tsv``, ``test.tsv`` (``headline<TAB>
  text``, as LCSTS's ``summary<TAB>text``) and ``<split>.dates.txt`` (``YYYY-MM-DD``, line for line).
* **Raw text** (``raw.txt``, for the pipeline's raw-text corpus: word mining, Word2Vec, cloze): the
  full text of every item dated before the dev months (round-ups and repeated headlines included,
  programme summaries not: they repeat the evening's items), each distinct text once, one sentence
  group a line (lines longer than ``prepare.max_line_chars`` split at sentence punctuation). No dev
  or test item's text is in it, so the headline scores stay on unseen text.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

from zhpipe.corpus.options import XwlbOptions
from zhpipe.corpus.output import write_corpus
from zhpipe.corpus.text import CorpusError, clean_raw, split_long

_TAGS = re.compile(r"<[^>]+>")
_OPENING = re.compile(r"^(?:央视网|中国网络电视台)消息[（(]新闻联播[）)][：:]?")
_SUMMARY = re.compile(r"^(?:新闻联播完整版视频|《新闻联播》)\s*\d{7,8}")
_SERIES = re.compile(r"^【([^】]*)】")
_DAY = re.compile(r"^(\d{4})(\d{2})(\d{2})\.json$")


def strip_html(content: str) -> str:
    """Paragraph HTML -> one line of normalised text, without the broadcaster's opening."""
    text = clean_raw(html.unescape(_TAGS.sub("", content)))
    return _OPENING.sub("", text)


def clean_headline(title: str) -> tuple[str, int]:
    """The headline proper: no ``[视频]`` prefix, no leading 【series】 tags; (text, tags cut)."""
    text = clean_raw(html.unescape(title))
    text = text.removeprefix("[视频]")
    cut = 0
    while (m := _SERIES.match(text)) is not None:
        text, cut = text[m.end():], cut + 1
    return text, cut


def _month_shift(day: dt.date, months: int) -> dt.date:
    m = day.year * 12 + day.month - 1 - months
    return dt.date(m // 12, m % 12 + 1, 1)


def read_days(folder: Path):
    """Yield ``(date, item index, title, content)`` for every item of every day file, in date
    order. A file that is not JSON or lacks ``videoList`` stops with its name."""
    files = sorted(p for p in folder.rglob("*.json") if _DAY.match(p.name))
    if not files:
        raise CorpusError(f"{folder}: no day files (YYYYMMDD.json); run download@xwlb again")
    for path in files:
        y, m, d = map(int, _DAY.match(path.name).groups())  # type: ignore[union-attr]
        try:
            day = json.loads(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorpusError(f"{path}: not a UTF-8 JSON day file ({exc}); delete data/raw/xwlb "
                              "and run download@xwlb again") from None
        items = day.get("videoList") if isinstance(day, dict) else None
        if not isinstance(items, list):
            raise CorpusError(f"{path}: no 'videoList' list; not an xwlb day file")
        for i, item in enumerate(items):
            detail = item.get("video_detail") or {}
            title = detail.get("title") or item.get("video_title") or ""
            yield dt.date(y, m, d), i, title, detail.get("content") or ""


def prepare_xwlb(raw: Path, out: Path, opts: XwlbOptions, max_chars: int) -> list[dict]:
    test_from = dt.date.fromisoformat(opts.test_from)
    dev_from = _month_shift(test_from, opts.dev_months)
    drop = set(opts.drop_headlines)
    seen: set[str] = set()
    splits: dict[str, list[tuple[str, str]]] = {"train": [], "dev": [], "test": []}
    counts = {"items": 0, "summary": 0, "round_up": 0, "tag_only": 0, "short_text": 0,
              "repeated_headline": 0, "series_tags_removed": 0}
    raw_texts: dict[str, None] = {}  # distinct texts of the training period, in date order
    for day, _, title, content in read_days(raw):
        counts["items"] += 1
        raw_title = clean_raw(title).removeprefix("[视频]")
        if _SUMMARY.match(raw_title):
            counts["summary"] += 1
            continue
        if day < dev_from:
            raw_texts.setdefault(strip_html(content))
        headline, cut = clean_headline(title)
        if raw_title in drop or headline in drop:
            counts["round_up"] += 1
            continue
        if not headline:
            counts["tag_only"] += 1
            continue
        text = strip_html(content)
        if len(text) < opts.min_text_chars:
            counts["short_text"] += 1
            continue
        if headline in seen:
            counts["repeated_headline"] += 1
            continue
        seen.add(headline)
        counts["series_tags_removed"] += cut > 0
        split = "test" if day >= test_from else "dev" if day >= dev_from else "train"
        splits[split].append((day.isoformat(), f"{headline}\t{text[:opts.max_text_chars]}"))
    rows = []
    for split, pairs in splits.items():
        row = write_corpus(out, "xwlb", f"{split}.tsv", "pairs", (p for _, p in pairs))
        write_corpus(out, "xwlb", f"{split}.dates.txt", "dates", (d for d, _ in pairs))
        row["first_date"], row["last_date"] = pairs[0][0], pairs[-1][0]
        rows.append(row)
    rows[0].update(counts)  # what was dropped, reported with the training file
    rows.append(write_corpus(out, "xwlb", "raw.txt", "raw", (
        piece for text in raw_texts if text for piece in split_long(text, max_chars, False))))
    return rows

