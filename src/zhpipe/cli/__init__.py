"""The ``zhpipe`` command line.

    zhpipe --version
    zhpipe datasets [--verify]     the catalogue, and what is present in data/raw (checksums)
    zhpipe profile {quick,full,show}
    zhpipe tracking sync           log runs queued while the MLflow server was unreachable
    zhpipe remote check|push|pull [--remote NAME]   DVC remote: credentials checked first
    zhpipe mine FILE... --out lexicon.tsv [--background FILE...]
    zhpipe segment [--model lexicon|crf] [--lexicon PATH] [--words FILE] < in.txt > out.txt
    zhpipe demo-corpus --out FILE  a made-up field corpus with planted terms
    zhpipe similar WORD [-n 10]
    zhpipe analogy A B C
    zhpipe couplet [UPPER...] [--model seq2seq|tagger] [--beam 5]   (stdin when no UPPER)
    zhpipe cloze FILE.doc_query [--out FILE.answer] [--answers GOLD.answer]
    zhpipe poem [-n 5] [--chars 5|7] [--seed N] [--temperature T] [--between A B]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from importlib.metadata import version
from pathlib import Path

__version__ = version("zhpipe")

PROFILES_DIR = Path("params.d")


def cmd_datasets(args) -> int:
    from zhpipe.corpus.catalogue import DownloadParams, load_catalogue
    from zhpipe.corpus.checksum import ChecksumMismatch, sha256_file, verify
    from zhpipe.corpus.download import Settings, in_mirror
    from zhpipe.params import load_section

    p = load_section("download", DownloadParams, args.params)
    settings = Settings.from_params(p)
    bad = 0
    print(f"mirror: {settings.mirror or '(none: canonical sources)'}")
    for name, ds in load_catalogue(args.catalogue, p, args.params).items():
        folder = Path(args.raw) / name
        manifest = folder / "MANIFEST.json"
        state = "not downloaded"
        if not ds.enabled:  # the stage records it as disabled and fetches nothing
            state = (f"disabled (in download.disabled of {args.params}; "
                     "`zhpipe profile full` turns it on)")
        elif manifest.exists():
            recorded = json.loads(manifest.read_text(encoding="utf-8"))["files"]
            ok = 0
            problems = []
            for key, spec in ds.files.items():
                if spec.members is not None:  # a folder of globbed members: each as recorded
                    saved = [k for k in recorded if k.startswith(key + "/")]
                    if not saved and not spec.optional:
                        problems.append(f"{key}/: no files recorded")
                    for k in saved:
                        path = folder / k
                        if not path.exists() or sha256_file(path) != recorded[k]["sha256"]:
                            problems.append(f"{path}: missing or changed since download")
                        else:
                            ok += 1
                    continue
                path = folder / key
                if not path.exists():
                    if not spec.optional:
                        problems.append(f"{key}: missing")
                    continue
                try:
                    got = verify(path, spec.sha256, spec.git_sha1)
                    rec = recorded.get(key, {}).get("sha256")
                    if rec and got["sha256"] != rec:
                        raise ChecksumMismatch(f"{path}: changed since download")
                    ok += 1
                except ChecksumMismatch as exc:
                    problems.append(str(exc))
            state = f"present, {ok} file(s) verified" if not problems else "CORRUPT"
            bad += bool(problems)
            for prob in problems:
                state += f"\n      {prob}"
        where = "mirror" if in_mirror(ds, settings.mirror) else "source"
        print(f"{name:12s} {state}\n    {ds.description}\n    licence: {ds.licence}\n"
              f"    from: {where}: {ds.source if where == 'source' else settings.mirror}")
    return 1 if bad else 0


def cmd_profile(args) -> int:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    params_path = Path(args.params)
    data = yaml.load(params_path.read_text(encoding="utf-8"))
    if args.name == "show":
        for name in ("quick", "full"):
            overlay = yaml.load((PROFILES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
            flat = _flatten(overlay)
            same = all(_get(data, k) == v for k, v in flat.items())
            print(f"{name}: {'active' if same else 'not active'} ({len(flat)} keys)")
        return 0
    overlay = yaml.load((PROFILES_DIR / f"{args.name}.yaml").read_text(encoding="utf-8"))
    changed = []
    for key, value in _flatten(overlay).items():
        if _get(data, key) != value:
            _set(data, key, value)
            changed.append(key)
    tmp = params_path.with_suffix(".yaml.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    tmp.replace(params_path)
    print(f"profile {args.name}: {len(changed)} key(s) changed" +
          "".join(f"\n  {k}" for k in changed))
    return 0


def _flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _get(d, dotted):
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return KeyError
        d = d[part]
    return d


def _set(d, dotted, value):
    *parents, last = dotted.split(".")
    for part in parents:
        if part not in d:
            raise SystemExit(f"params.yaml has no section {dotted!r}; fix {PROFILES_DIR}")
        d = d[part]
    d[last] = value


def cmd_tracking(args) -> int:
    from zhpipe import tracking

    if args.action == "sync":
        from zhpipe import serving

        done, left = tracking.sync_pending(Path.cwd(), serving.specs)
        print(f"logged {done} queued run(s); {left} still queued")
        return 1 if left else 0
    tracking.relocate_if_moved(Path.cwd())  # a copied checkout's store: its own artefacts
    print(tracking.tracking_uri(Path.cwd()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="zhpipe", description="A reproducible Chinese-NLP pipeline.")
    ap.add_argument("--version", action="version", version=f"zhpipe {__version__}")
    ap.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("datasets", help="list the catalogue and verify what is downloaded")
    d.add_argument("--raw", default="data/raw", help="download folder (default: data/raw)")
    d.add_argument("--catalogue", default="catalogue.yaml",
                   help="the dataset catalogue (default: catalogue.yaml)")
    d.set_defaults(func=cmd_datasets)
    p = sub.add_parser("profile", help="switch params.yaml between the quick and full profiles")
    p.add_argument("name", choices=["quick", "full", "show"])
    p.set_defaults(func=cmd_profile)
    t = sub.add_parser("tracking", help="MLflow: show the store, or log queued runs")
    t.add_argument("action", choices=["sync", "uri"])
    t.set_defaults(func=cmd_tracking)
    from zhpipe import remote
    from zhpipe.cli import cloze as cloze_cli
    from zhpipe.cli import couplet as couplet_cli
    from zhpipe.cli import embeddings as embeddings_cli
    from zhpipe.cli import mining as mining_cli
    from zhpipe.cli import poem as poem_cli
    from zhpipe.cli import title as title_cli

    mining_cli.add_parsers(sub)
    embeddings_cli.add_parsers(sub)
    couplet_cli.add_parsers(sub)
    cloze_cli.add_parsers(sub)
    poem_cli.add_parsers(sub)
    title_cli.add_parsers(sub)
    remote.add_parser(sub)
    return ap


#: Commands that load a Keras model (``segment`` only with ``--model crf``).
KERAS_COMMANDS = {"ner", "couplet", "cloze", "poem", "title"}


def silence_native_stderr() -> None:
    """Send what native libraries write to file descriptor 2 to /dev/null, and keep Python's own
    stderr (our messages, logging, warnings, tracebacks) on the terminal.

    TensorFlow's C++ side writes start-up notices (oneDNN, CPU instructions, absl) and run-time
    notices (oneDNN's int64 fallback) straight to fd 2, before and regardless of any log level:
    noise on a command line. Only the model commands do this; a crash of Python itself still
    shows its traceback.
    """
    if os.environ.get("ZHPIPE_NATIVE_STDERR") or sys.stderr is not sys.__stderr__:
        return  # asked to keep them, or stderr is captured (main() called in-process)
    sys.stderr.flush()
    kept = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    old = sys.stderr
    sys.stderr = open(kept, "w", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                      buffering=1, closefd=True)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is old:
            handler.setStream(sys.stderr)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    if args.command in KERAS_COMMANDS or getattr(args, "model", None) == "crf":
        silence_native_stderr()
    from zhpipe.errors import UserError

    try:
        return args.func(args)
    except (UserError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
