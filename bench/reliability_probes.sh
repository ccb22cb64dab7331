#!/bin/bash
# Issue 18 probes, as filed, on a COPY of a completed pipeline run (it edits params, corrupts a
# mirror copy, interrupts stages). Usage: bench/reliability_probes.sh <completed checkout>
# Needs the offline mirror at /work/shared/corpora (edit ZHPIPE_MIRROR below). Output: text, not JSON.
set -u
SRC=$1
P=/tmp/probe5
rm -rf $P && cp -a $SRC $P && cd $P
export PATH=$P/.venv/bin:$PATH
export ZHPIPE_MIRROR=/work/shared/corpora
h() { echo; echo "=== $*"; }
sum() { sha256sum "$@" 2>&1 | cut -c1-16; }

h "0. the copy is clean for both runners"
dvc status 2>&1 | tail -2
snakemake -n --cores 1 2>&1 | grep -E "Nothing to be done|Job stats" | head -2

h "1a. titel under report, dvc repro report"
before=$(sum reports/index.html reports/metrics/report.json)
cp params.yaml /tmp/params.bak
python - <<'EOF'
import re
s = open("params.yaml").read()
s = re.sub(r"^report:\n", "report:\n  titel: x\n", s, flags=re.M)
open("params.yaml", "w").write(s)
EOF
dvc repro report 2>&1 | grep -iE "titel|error" | head -3
[ "$before" = "$(sum reports/index.html reports/metrics/report.json)" ] && echo "outputs intact" || echo "OUTPUTS CHANGED"
h "1b. the same under snakemake"
snakemake --cores 1 -f reports/index.html 2>&1 | grep -iE "titel|restored" | head -4
[ "$before" = "$(sum reports/index.html reports/metrics/report.json)" ] && echo "outputs intact" || echo "OUTPUTS CHANGED"
cp /tmp/params.bak params.yaml
snakemake -n --cores 1 2>&1 | grep -E "Nothing to be done" || snakemake -n --cores 1 2>&1 | grep -E "^rule|reason" | head -6

h "1c. a corrupted mirror file, dvc repro -f -s download@ca8"
rm -rf /tmp/mirror_bad && mkdir -p /tmp/mirror_bad && cp -r /work/shared/corpora/* /tmp/mirror_bad/ && chmod -R u+w /tmp/mirror_bad
f=$(find /tmp/mirror_bad/ca8 -type f ! -name MANIFEST.md | head -1); echo "corrupting $f"; printf 'x' >> "$f"
before=$(sum data/raw/ca8/MANIFEST.json reports/metrics/download/ca8.json)
ZHPIPE_MIRROR=/tmp/mirror_bad dvc repro -f -s download@ca8 2>&1 | grep -iE "error|mirror" | head -3
[ "$before" = "$(sum data/raw/ca8/MANIFEST.json reports/metrics/download/ca8.json)" ] && echo "outputs intact" || echo "OUTPUTS CHANGED"

h "4. .snakemake_timestamp: dvc repro -f -s download@ca8 (good mirror), then dvc status"
dvc repro -f -s download@ca8 2>&1 | tail -1
dvc status 2>&1 | head -5

h "2. input overwritten"
head -c 20000 data/prepared/pd1998/raw.txt > c.txt; s0=$(sum c.txt)
zhpipe mine c.txt --out c.txt --quiet; echo "exit $?"; [ "$s0" = "$(sum c.txt)" ] && echo "c.txt intact"
cp data/prepared/cmrc2017/cloze.valid.doc_query X.doc_query; s0=$(sum X.doc_query)
zhpipe cloze X.doc_query --out X.doc_query 2>&1 | tail -1; echo "exit $?"; [ "$s0" = "$(sum X.doc_query)" ] && echo "X intact"

h "3. GBK bytes to zhpipe couplet; binary stdin"
iconv -t GBK <<< 天高云淡 | zhpipe couplet; echo "exit $?"
head -c 100000 /dev/urandom | timeout 60 zhpipe couplet > /dev/null; echo "exit $?"
zhpipe couplet "$(printf '\xb7\xe7')"; echo "exit $?"

h "5. the runners exclude each other"
(dvc repro -f -s mine_words > /tmp/p5_dvc.log 2>&1; echo "dvc exit $?" >> /tmp/p5_dvc.log) &
sleep 4
snakemake --cores 1 -f data/mine_words 2>&1 | grep -iE "held by|lock" | head -2
wait
tail -1 /tmp/p5_dvc.log

h "6. MLflow: this copy logs into its own mlartifacts (the copy ran mine_words above)"
python - <<'EOF'
import sqlite3
db = sqlite3.connect("mlflow.db")
print(db.execute("select artifact_location from experiments where name='zhpipe'").fetchone())
print(db.execute("select count(*) from runs where artifact_uri like 'file:///tmp/probe5/%'").fetchone()[0], "runs under /tmp/probe5,",
      db.execute("select count(*) from runs where artifact_uri not like 'file:///tmp/probe5/%'").fetchone()[0], "elsewhere")
EOF
h "6b. two syncs at once; a corrupt pending file"
mkdir -p .zhpipe/pending && echo "{not json" > .zhpipe/pending/0-corrupt.json
zhpipe tracking sync & zhpipe tracking sync; wait
ls .zhpipe/pending/unreadable/

h "7. bad numbers and files"
printf 'word\tcount\n天\tinf\n' > inf.tsv; echo 天高云淡 | zhpipe segment --lexicon inf.tsv; echo "exit $?"
printf 'word\tcount\n天\t1e400\n' > big.tsv; echo 天高云淡 | zhpipe segment --lexicon big.tsv; echo "exit $?"
printf 'word\tcount\n' > hdr.tsv; echo 天高云淡 | zhpipe segment --lexicon hdr.tsv; echo "exit $?"
zhpipe similar 北京 -n -5; echo "exit $?"
mkdir -p broken && cp data/couplet/vocab.json data/couplet/*.meta.json broken/
: > broken/seq2seq.keras; zhpipe couplet 天高云淡 --models broken; echo "exit $?"
head -c 5000 data/couplet/seq2seq.keras > broken/seq2seq.keras; zhpipe couplet 天高云淡 --models broken; echo "exit $?"
cp data/couplet/seq2seq.keras broken/seq2seq.keras; python -c "
d=bytearray(open('broken/seq2seq.keras','rb').read()); d[len(d)//2]^=0xff; open('broken/seq2seq.keras','wb').write(bytes(d))"
zhpipe couplet 天高云淡 --models broken; echo "exit $?"
rm broken/vocab.json; cp data/couplet/seq2seq.keras broken/; zhpipe couplet 天高云淡 --models broken; echo "exit $?"
mkdir -p w2v && head -c 3000 data/word2vec/vectors.npz > w2v/vectors.npz; zhpipe similar 北京 --vectors w2v/vectors.npz; echo "exit $?"
zhpipe mine c.txt --out data --quiet; echo "exit $?"

h "8. Ctrl-C in mine_words (dvc repro), once its new folder is being filled"
before=$(cd data/mine_words && sha256sum * | sha256sum | cut -c1-16)
# SIGINT at its default: a background job of a script would otherwise ignore it
python3 -c "import signal,subprocess,sys; p=subprocess.Popen(sys.argv[1:], preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)); sys.exit(p.wait())" dvc repro -f -s mine_words > /tmp/p8.log 2>&1 &
for i in $(seq 1 900); do ls data/.mine_words.*.tmp/lexicon.tsv >/dev/null 2>&1 && break; sleep 0.1; done
pkill -INT -f "python stages/mine_words.py"; wait
grep -iE "interrupted" /tmp/p8.log | head -2
after=$(cd data/mine_words && sha256sum * | sha256sum | cut -c1-16)
[ "$before" = "$after" ] && echo "data/mine_words intact" || echo "DATA CHANGED"
ls -a data | grep -E "^\.mine_words" || echo "no temporary folder left"

h "9. smaller"
ZHPIPE_MIRROR=/tmp/no_such_mirror timeout 60 dvc repro -f -s download@ca8 2>&1 | grep -iE "error|no such" | head -2
stat -c '%a %n' data/word2vec/vocab.tsv reports/metrics/report.json data/mine_words
zhpipe analogy 北京 中国 东京 | head -2
printf 'reprot:\n  title: x\n' >> params.yaml; dvc repro report 2>&1 | grep -iE "error|reprot" | head -2; cp /tmp/params.bak params.yaml
