"""Check the MLflow UI in a real browser: start ``mlflow ui`` on the project's store (127.0.0.1, a
free port), open the zhpipe experiment and one training run in headless Chromium (Debian's
``chromium``), save screenshots and check the rendered pages' text.

Prints one JSON line: the experiment's runs and stages, whether the runs table shows the stages,
the training run's step metrics (points per curve), the screenshot paths. Run after the pipeline
(``make run``); ``--store`` names another project's ``mlflow.db``.

Screenshots: ``reports/ui/mlflow_runs.png`` (the experiment's runs table, the pipeline's parent
run expanded to show its stage runs),
``reports/ui/mlflow_run_<stage>.png`` (the run's model-metrics tab),
``reports/ui/mlflow_curve_<stage>.png`` (MLflow's metric page: the run's training curves over
steps), ``reports/ui/mlflow_overview_<stage>.png`` (the run's overview: its datasets and logged
models), ``reports/ui/mlflow_system_<stage>.png`` (its system metrics),
``reports/ui/mlflow_models.png`` (the model registry) and ``reports/ui/mlflow_model_<name>.png``
(the latest version of the stage's registered model, with its signature).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"mlflow ui exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"mlflow ui did not answer at {url} within {seconds:.0f} s")


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    sys.exit("no Chromium: install Debian's `chromium` (apt install chromium)")


def stop(proc: subprocess.Popen, seconds: float) -> None:
    """Terminate ``proc``; kill it if it has not ended after ``seconds``."""
    proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()


def render(url: str, png: Path | None, budget_ms: int = 60000) -> str:
    """The page's DOM after its scripts ran; with ``png``, also a screenshot."""
    base = [browser(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--window-size=1600,1000", f"--virtual-time-budget={budget_ms}"]
    if png:
        png.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*base, f"--screenshot={png}", url], capture_output=True, timeout=180,
                       check=True)
    out = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=180,
                         check=True)
    return out.stdout


def render_clicked(url: str, png: Path, click: str | None = None, ready: str | None = None,
                   wait_s: float = 30.0, search: str | None = None) -> str:
    """Open ``url`` in Chromium driven over its DevTools protocol (aiohttp's websocket, which
    DVC's http support brings), wait until an element matches the CSS selector ``ready`` (or
    ``click``), click every element matching ``click`` (the runs table's expand buttons: MLflow
    nests the stage runs under the pipeline's parent run, collapsed; a dialog's close button),
    and, with ``search``, type it into the page's search box (the run page's metric charts),
    then save a screenshot; return the page's text."""
    import asyncio
    import base64
    import tempfile

    import aiohttp

    port = free_port()
    profile = tempfile.mkdtemp(prefix="zhpipe-chromium-")
    proc = subprocess.Popen([browser(), "--headless=new", "--no-sandbox", "--disable-gpu",
                             "--hide-scrollbars", "--window-size=1600,1000",
                             f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def drive() -> str:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/json/list") as r:
                        pages = [t for t in await r.json() if t["type"] == "page"]
                    if pages:
                        break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError("Chromium's DevTools did not answer")
            async with http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                n = 0

                async def call(method: str, **params):
                    nonlocal n
                    n += 1
                    await ws.send_json({"id": n, "method": method, "params": params})
                    async for msg in ws:
                        data = msg.json()
                        if data.get("id") == n:
                            return data.get("result", {})
                    raise RuntimeError("DevTools closed the connection")

                async def js(expr: str):
                    res = await call("Runtime.evaluate", expression=expr, returnByValue=True)
                    return res.get("result", {}).get("value")

                await call("Page.navigate", url=url)
                deadline = time.monotonic() + wait_s
                wait = json.dumps(ready or click or "body")
                while time.monotonic() < deadline and not await js(
                        f"document.querySelectorAll({wait}).length"):
                    await asyncio.sleep(0.5)
                if click:
                    await js(f"document.querySelectorAll({json.dumps(click)})"
                             ".forEach(b => b.click())")
                if search:  # React reads the value through the input's native setter
                    await js("(() => {const i = document.querySelector('input[placeholder^=\"Search\"]');"
                             "Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')"
                             f".set.call(i, {json.dumps(search)});"
                             "i.dispatchEvent(new Event('input', {bubbles: true}));})()")
                await asyncio.sleep(4)  # what the clicks open, the charts' last drawing
                shot = await call("Page.captureScreenshot", format="png")
                png.parent.mkdir(parents=True, exist_ok=True)
                png.write_bytes(base64.b64decode(shot["data"]))
                return await js("document.body.innerText") or ""

    try:
        return asyncio.run(asyncio.wait_for(drive(), wait_s + 60))
    finally:
        stop(proc, 10)
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store", type=Path, default=ROOT / "mlflow.db")
    ap.add_argument("--stage", default="train_ner", help="the training run to open")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "ui")
    args = ap.parse_args()
    if not args.store.exists():
        sys.exit(f"{args.store}: no MLflow store; run the pipeline first (make run)")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{args.store.resolve()}"
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("zhpipe")
    if exp is None:
        sys.exit(f"{args.store}: no zhpipe experiment")
    runs = client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"])
    stages = sorted({r.data.tags.get("zhpipe.stage") for r in runs} - {None})
    run = next((r for r in runs if r.data.tags.get("zhpipe.stage") == args.stage), None)
    if run is None:
        sys.exit(f"no run of stage {args.stage} in {args.store}")
    curves = {k: len(client.get_metric_history(run.info.run_id, k)) for k in run.data.metrics}
    curves = {k: n for k, n in curves.items() if n > 1 and not k.startswith("system/")}
    system = sorted(k for k in run.data.metrics if k.startswith("system/"))
    datasets = [d.dataset.name for d in run.inputs.dataset_inputs]
    registered = sorted(m.name for m in client.search_registered_models())
    versions = {m: max(int(v.version) for v in client.search_model_versions(f"name='{m}'"))
                for m in registered}
    own_model = next((v.name for v in client.search_model_versions(
        f"run_id='{run.info.run_id}'")), None)

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri,
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base + "/health", proc)
        t0 = time.perf_counter()
        runs_png = args.out / "mlflow_runs.png"
        ml = "workflowType=machine_learning"  # the UI's "Model training" mode (else GenAI)
        # the stage runs are nested under the pipeline's parent run: expand it, as a user does
        page = render_clicked(f"{base}/#/experiments/{exp.experiment_id}/runs?{ml}", runs_png,
                              'button[data-component-id*="runnamecellrenderer"]')
        run_png = args.out / f"mlflow_run_{args.stage}.png"
        plot = ".js-plotly-plot .main-svg"  # a chart drawn (the spinners gone)
        prefix = sorted(curves)[0].split(".")[0] + "." if curves else None  # its curves only
        run_page = render_clicked(f"{base}/#/experiments/{exp.experiment_id}/runs/"
                                  f"{run.info.run_id}/model-metrics?{ml}", run_png, ready=plot,
                                  search=prefix)
        curve_png = None
        if curves:  # the first curve on MLflow's metric page (line chart over steps)
            import urllib.parse

            key = sorted(curves)[0]
            q = urllib.parse.quote
            curve_png = args.out / f"mlflow_curve_{args.stage}.png"
            render_clicked(f"{base}/#/metric/?runs={q(json.dumps([run.info.run_id]))}"
                           f"&metric={q(json.dumps(key))}"
                           f"&experiments={q(json.dumps([exp.experiment_id]))}"
                           f"&plot_metric_keys={q(json.dumps(sorted(curves)))}&x_axis=step&{ml}",
                           curve_png, ready=plot)
        run_url = f"{base}/#/experiments/{exp.experiment_id}/runs/{run.info.run_id}"
        overview_png = args.out / f"mlflow_overview_{args.stage}.png"
        overview = render(f"{run_url}?{ml}", overview_png)
        system_png = args.out / f"mlflow_system_{args.stage}.png"
        render_clicked(f"{run_url}/system-metrics?{ml}", system_png, ready=plot)
        models_png = args.out / "mlflow_models.png"
        models_page = render_clicked(f"{base}/#/models?{ml}", models_png,  # its promotion dialog
                                     click='.du-bois-light-modal-close, button[aria-label="Close"]',
                                     ready="table, [role=table]")
        model_png, model_page = None, ""
        if own_model:
            model_png = args.out / f"mlflow_model_{own_model}.png"
            model_page = render(f"{base}/#/models/{own_model}/versions/{versions[own_model]}",
                                model_png)
        seconds = time.perf_counter() - t0
    finally:
        stop(proc, 30)
    shown = [s for s in stages if s in page]
    print(json.dumps({
        "bench": "mlflow_ui", "store": str(args.store), "experiment_kind":
        exp.tags.get("mlflow.experimentKind"), "runs": len(runs), "stages": len(stages),
        "stages_in_runs_table": len(shown), "genai_overview_shown": "Traces" in page
        and "Runs" not in page, "run": args.stage, "curves_with_several_points": curves,
        "curve_names_on_run_page": [k for k in curves if k in run_page],
        "system_metrics": system, "datasets": datasets,
        "datasets_on_overview": [d for d in datasets if d in overview],
        "registered_models": versions,
        "registered_models_on_models_page": [m for m in registered if m in models_page],
        "run_model": own_model, "run_model_page_shows_signature": "string" in model_page
        or "Schema" in model_page,
        "screenshots": [str(p) for p in (runs_png, run_png, curve_png, overview_png, system_png,
                                         models_png, model_png) if p],
        "browser_seconds": round(seconds, 1),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
