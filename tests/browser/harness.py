"""A real JupyterLab server and headless Chromium, used the way a learner uses them (issue 3).

The pieces, top to bottom:

- ``require_chromium``: Debian's ``/usr/bin/chromium`` or a failure that says what to install.
- ``LabServer`` / ``start_lab_server``: ``jupyter lab`` on 127.0.0.1, a port the OS picks, a
  random token and throwaway root, config, data, runtime, settings and workspaces folders.
  ``stop`` always ends it (REST shutdown, then SIGTERM, then SIGKILL of its process group).
- ``open_notebook`` / ``run_all_cells``: open ``lab/tree/<name>`` in a page, click
  Run > Run All Cells in the menu bar and wait until every code cell has an execution count.
- Checks that return a list of problems (empty when all is well), so that a test can assert
  ``problems == []`` and the harness self-test can show that a broken notebook is caught:
  ``widget_problems``, ``traceback_problems``, ``audio_reports`` / ``audio_problems``,
  ``image_reports`` / ``image_problems``.
- Controls moved as a person moves them: ``choose_other_option`` (a ``<select>``),
  ``move_slider`` (ArrowRight on the slider's handle); ``exercise_dataset_browser`` moves the
  Digit, Speaker and Take controls of the box of class ``audiogan-dataset-browser`` in turn
  and records the ``<audio>`` and ``<img>`` before and after each move.
- ``screenshot_notebook`` / ``screenshot_element``: the whole notebook, or one element, in
  one PNG (the viewport grows for the shot), so that a failure can be looked at.

Audio and pictures are checked in the page itself: an ``<audio>`` element's ``duration`` after
``loadedmetadata`` (seconds, > 0 only if Chromium's media pipeline decoded the WAV) and an
``<img>``'s ``naturalWidth`` after ``decode()`` (pixels, > 0 only if the PNG decoded). A change
in what is shown is measured by SHA-256 digests of the audio bytes and of the decoded pixels.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = Path("/usr/bin/chromium")
# The flags the issue asks for; Playwright adds its own automation flags to these.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
INSTALL_HINT = (
    "The browser tests need Debian's Chromium at /usr/bin/chromium. Install it with "
    "`make browser-deps` (as root) or `sudo apt-get install chromium chromium-driver`, then run "
    "the tests again. Playwright's own browser download is not used."
)
VIEWPORT = {"width": 1280, "height": 900}

# Settings a fresh JupyterLab would otherwise ask about in a pop-up over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

# Texts the ipywidgets renderer leaves in an output area when a widget did not render.
WIDGET_FAILURE_TEXTS = (
    "Error displaying widget",
    "Loading widget...",
    "Model not found",
    "model not found",
    "Failed to create view",
)


def require_chromium() -> Path:
    """The Chromium executable; fails the test (never skips) with what to install."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(INSTALL_HINT, pytrace=False)
    return CHROMIUM


# --------------------------------------------------------------------------- the server


@dataclass
class LabServer:
    """A running ``jupyter lab``: base ``url`` (``http://127.0.0.1:PORT/``) and its ``token``."""

    root: Path
    url: str
    token: str
    process: subprocess.Popen
    log_path: Path
    _log_file: object = field(repr=False, default=None)

    def notebook_url(self, relative_path: str) -> str:
        """The address a learner opens, ``lab/.../tree/<path>`` with the token, in a workspace
        of its own, so that no tab of an earlier test is restored beside it."""
        workspace = f"test-{secrets.token_hex(6)}"
        return (
            f"{self.url}lab/workspaces/{workspace}/tree/{quote(relative_path)}?token={self.token}"
        )

    def shutdown_kernels(self) -> None:
        """Shut down every running kernel (between tests, to free the CPU)."""
        for kernel in self.api("kernels"):
            self.api(f"kernels/{kernel['id']}", method="DELETE", timeout_s=30.0)

    def api(self, path: str, method: str = "GET", timeout_s: float = 5.0) -> dict | list:
        """A REST call to ``api/<path>`` with the token; the decoded JSON (``{}`` if empty)."""
        request = urllib.request.Request(
            f"{self.url}api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read()
        return json.loads(body) if body.strip() else {}

    def log_tail(self, num_chars: int = 3000) -> str:
        """The end of the server's log (stdout and stderr), for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-num_chars:]
        except OSError:
            return "(no server log)"

    def stop(self, timeout_s: float = 15.0) -> None:
        """Shut the server and its kernels down; escalate to SIGTERM, then SIGKILL."""
        if self.process.poll() is None:
            try:
                self.api("shutdown", method="POST", timeout_s=5.0)
            except (OSError, ValueError, urllib.error.URLError):
                pass  # not serving yet, or already going: the signals below end it
            _wait_or_signal(self.process, timeout_s, signal.SIGTERM)
            _wait_or_signal(self.process, 5.0, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()


def _wait_or_signal(process: subprocess.Popen, timeout_s: float, sig: int) -> None:
    """Wait for ``process``; if it is still alive after ``timeout_s``, signal its group."""
    try:
        process.wait(timeout=timeout_s)
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        # The server was started in its own session: its group is the server and its kernels.
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        pass


def start_lab_server(root: Path, work_dir: Path, timeout_s: float = 90.0) -> LabServer:
    """Start ``jupyter lab`` serving ``root`` and wait until ``/api/status`` answers.

    Every folder JupyterLab writes to lives under ``work_dir``; the environment (with
    ``AUDIOGAN_DATA``, ``AUDIOGAN_CACHE``, ``KERAS_BACKEND``) is passed on to the kernels.
    The kernel is the ``python3`` kernelspec installed in this virtual environment.
    """
    dirs = {
        name: work_dir / name
        for name in ("config", "data", "runtime", "settings", "workspaces", "ipython")
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for relative, values in LAB_SETTINGS.items():
        settings_file = dirs["settings"] / relative
        settings_file.parent.mkdir(parents=True, exist_ok=True)
        settings_file.write_text(json.dumps(values))

    token = secrets.token_hex(24)
    env = dict(os.environ)
    env.pop("JUPYTER_TOKEN", None)
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",  # the OS picks a free port; it is read back from the runtime file
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={dirs['settings']}",
        f"--LabApp.workspaces_dir={dirs['workspaces']}",
        "--LabApp.news_url=None",
        "--ServerApp.terminals_enabled=False",
        "--ServerApp.allow_root=True",  # CI containers run as root; harmless otherwise
    ]
    log_path = work_dir / "jupyterlab.log"
    log_file = log_path.open("w")
    process = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = LabServer(root, "", token, process, log_path, log_file)
    try:
        server.url = _wait_for_server(server, dirs["runtime"], timeout_s)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_for_server(server: LabServer, runtime_dir: Path, timeout_s: float) -> str:
    """Read the port from ``jpserver-<pid>.json`` and poll ``/api/status`` until it answers."""
    runtime_file = runtime_dir / f"jpserver-{server.process.pid}.json"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited with code {server.process.returncode} before it served; "
                f"log {server.log_path}:\n{server.log_tail()}"
            )
        if runtime_file.is_file():
            try:
                info = json.loads(runtime_file.read_text())
                server.url = f"http://127.0.0.1:{int(info['port'])}/"
                server.api("status", timeout_s=2.0)
                return server.url
            except (ValueError, KeyError, OSError, urllib.error.URLError):
                pass
        time.sleep(0.25)
    raise RuntimeError(
        f"jupyter lab did not answer /api/status within {timeout_s:.0f} s; "
        f"log {server.log_path}:\n{server.log_tail()}"
    )


# --------------------------------------------------------------------------- notebooks


@dataclass(frozen=True)
class NotebookCopy:
    """A notebook copied into the server root: its ``name`` (relative to the root) and the
    number of cells, all and non-empty code cells (each of those must get an execution count)."""

    name: str
    num_cells: int
    num_code_cells: int


def copy_notebook(source: Path, root: Path, parameters: dict | None = None) -> NotebookCopy:
    """Copy ``source`` into the server root, set ``parameters`` in its ``parameters`` cell.

    Each ``name = value`` line of the tagged cell whose name is in ``parameters`` is rewritten
    (``quick = False`` -> ``quick = True``); a name that is not found there is a ValueError.
    Outputs are cleared and the kernel is set to ``python3``.
    """
    nb = nbformat.read(source, as_version=4)
    if parameters:
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        if len(tagged) != 1:
            raise ValueError(
                f"{source}: needs exactly one cell tagged 'parameters' to set {parameters}, "
                f"found {len(tagged)}; tag the cell that defines them"
            )
        cell = tagged[0]
        for name, value in parameters.items():
            pattern = re.compile(rf"^({re.escape(name)}\s*=\s*)[^#\n]*?(\s*(#.*)?)$", flags=re.M)
            cell.source, count = pattern.subn(rf"\g<1>{value!r}\g<2>", cell.source, count=1)
            if count != 1:
                raise ValueError(
                    f"{source}: the parameters cell does not define `{name} = ...`; "
                    "add it there or drop it from the test's parameters"
                )
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    target = root / source.name
    nbformat.write(nb, target)
    num_code = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip())
    return NotebookCopy(target.name, len(nb.cells), num_code)


def open_notebook(page, server: LabServer, notebook: NotebookCopy, timeout_s: float = 90.0):
    """Open the notebook in JupyterLab; wait until all its cells are in the page and its kernel
    is started and idle."""
    page.goto(server.notebook_url(notebook.name), timeout=timeout_s * 1000)
    page.wait_for_function(
        """(n) => document.querySelectorAll(
            '.jp-NotebookPanel .jp-Notebook .jp-Cell').length >= n""",
        arg=notebook.num_cells,
        timeout=timeout_s * 1000,
    )
    wait_for_kernel_idle(page, timeout_s)
    panels = page.locator(".jp-NotebookPanel").count()
    if panels != 1:
        raise RuntimeError(f"expected only {notebook.name} open in JupyterLab, found {panels} tabs")
    deadline = time.monotonic() + timeout_s
    while not _kernel_idle_for(server, notebook.name):
        dialog = page.locator(".jp-Dialog")
        if dialog.count():
            raise RuntimeError(f"a dialog covers the notebook: {dialog.first.inner_text()!r}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no idle kernel for {notebook.name} within {timeout_s:.0f} s")
        page.wait_for_timeout(250)


def _kernel_idle_for(server: LabServer, name: str) -> bool:
    """Whether the server has a session for notebook ``name`` whose kernel is idle."""
    return any(
        session.get("path") == name
        and (session.get("kernel") or {}).get("execution_state") == "idle"
        for session in server.api("sessions")
    )


def wait_for_kernel_idle(page, timeout_s: float) -> None:
    """Wait until the notebook toolbar's execution indicator says the kernel is idle."""
    page.wait_for_function(
        """() => {
            const el = document.querySelector(
                '.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
            return el !== null && el.getAttribute('data-status') === 'idle';
        }""",
        timeout=timeout_s * 1000,
    )


def code_cell_prompts(page) -> list[str]:
    """The prompt text of each code cell, e.g. ``['[1]:', '[*]:', '[ ]:']``."""
    return page.eval_on_selector_all(
        ".jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt",
        "els => els.map(e => e.textContent.trim())",
    )


def run_all_cells(page, num_code_cells: int, timeout_s: float = 180.0) -> float:
    """Click Run > Run All Cells, wait for every code cell's execution count; return seconds.

    ``num_code_cells`` is how many cells must end with a ``[n]:`` prompt (empty cells are
    never executed by JupyterLab). A cell that raises stops Run All: then this raises
    RuntimeError at once with the traceback; TimeoutError with the prompts seen if time runs out.
    """
    start = click_run_all(page)
    return wait_for_all_cells(page, num_code_cells, start, timeout_s)


def click_run_all(page) -> float:
    """Click Run > Run All Cells and return at once (``time.monotonic()`` of the click)."""
    start = time.monotonic()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(
        ".lm-Menu-item",
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")),
    ).click()
    return start


def wait_for_all_cells(page, num_code_cells: int, start: float, timeout_s: float = 180.0) -> float:
    """Wait until a Run All clicked at ``start`` has run every code cell (see
    :func:`run_all_cells`); the seconds since ``start``."""
    deadline = start + timeout_s
    prompts: list[str] = []
    stopped_since = None
    while time.monotonic() < deadline:
        prompts = code_cell_prompts(page)
        done = sum(1 for p in prompts if re.fullmatch(r"\[\d+\]:", p))
        running = any("*" in p for p in prompts)
        if done >= num_code_cells and not running:
            wait_for_kernel_idle(page, max(1.0, deadline - time.monotonic()))
            return time.monotonic() - start
        # Nothing queued any more, yet not every cell ran: Run All stopped at an error.
        if not running and time.monotonic() - start > 3.0:
            stopped_since = stopped_since or time.monotonic()
            if time.monotonic() - stopped_since > 3.0:
                raise RuntimeError(
                    f"Run All stopped after {done} of {num_code_cells} code cells; prompts: "
                    f"{prompts}; {traceback_problems(page) or 'no traceback shown'}"
                )
        else:
            stopped_since = None
        page.wait_for_timeout(250)
    raise TimeoutError(
        f"not every code cell ran within {timeout_s:.0f} s; prompts: {prompts} "
        f"(expected {num_code_cells} numbered)"
    )


def wait_for_widgets(page, timeout_s: float = 30.0) -> None:
    """Wait until no output area still says "Loading widget..." (rendering is asynchronous)."""
    try:
        page.wait_for_function(
            """() => ![...document.querySelectorAll('.jp-OutputArea-output')]
                    .some(el => el.textContent.includes('Loading widget...'))""",
            timeout=timeout_s * 1000,
        )
    except PlaywrightTimeoutError:
        pass  # widget_problems reports what is still loading


# --------------------------------------------------------------------------- checks

# Each test opens one notebook in an empty workspace: the only notebook panel in the page.
_PANEL = ".jp-NotebookPanel"


def widget_problems(page) -> list[str]:
    """Output areas that show a widget failure text or an ipywidgets error view."""
    texts = page.eval_on_selector_all(
        f"{_PANEL} .jp-OutputArea-output",
        """(els, needles) => els
            .filter(el => el.classList.contains('jupyter-widgets-error-widget')
                       || el.querySelector('.jupyter-widgets-error-widget') !== null
                       || needles.some(n => el.textContent.includes(n)))
            .map(el => el.textContent.trim().slice(0, 200))""",
        list(WIDGET_FAILURE_TEXTS),
    )
    return [f"widget did not render: {text!r}" for text in texts]


def traceback_problems(page) -> list[str]:
    """Error and stderr outputs that show a Python traceback (warnings are not problems)."""
    texts = page.eval_on_selector_all(
        f'{_PANEL} .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]',
        "els => els.map(el => el.textContent).filter(t => t.includes('Traceback'))",
    )
    return [f"kernel error in a cell output: {text.strip()[-400:]!r}" for text in texts]


_AUDIO_REPORT_JS = """async (el) => {
    el.scrollIntoView({block: 'center'});
    const src = el.currentSrc || el.src || '';
    if (!src) return {src: '', duration: null, error: 'no source', bytes: 0, sha256: ''};
    await new Promise((resolve) => {
        if (el.readyState >= 1) return resolve();
        el.addEventListener('loadedmetadata', resolve, {once: true});
        el.addEventListener('error', resolve, {once: true});
        setTimeout(resolve, 15000);
        el.load();
    });
    let bytes = 0, sha256 = '';
    try {
        const data = await (await fetch(src)).arrayBuffer();
        bytes = data.byteLength;
        const digest = await crypto.subtle.digest('SHA-256', data);
        sha256 = [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
    } catch (e) { sha256 = ''; }
    return {
        src: src,
        duration: Number.isFinite(el.duration) ? el.duration : null,
        error: el.error ? `MediaError ${el.error.code}: ${el.error.message}` : null,
        bytes: bytes,
        sha256: sha256,
    };
}"""

_IMAGE_REPORT_JS = """async (el) => {
    el.scrollIntoView({block: 'center'});
    const src = el.currentSrc || el.src || '';
    let error = null;
    if (!src) error = 'no source';
    else { try { await el.decode(); } catch (e) { error = String(e); } }
    let sha256 = '', mean = null;
    if (el.naturalWidth > 0) {
        const canvas = document.createElement('canvas');
        canvas.width = el.naturalWidth; canvas.height = el.naturalHeight;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(el, 0, 0);
        const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        const digest = await crypto.subtle.digest('SHA-256', pixels);
        sha256 = [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
        let total = 0; for (let i = 0; i < pixels.length; i++) total += pixels[i];
        mean = total / pixels.length;
    }
    return {src: src, width: el.naturalWidth, height: el.naturalHeight, error: error,
            sha256: sha256, mean: mean};
}"""


def audio_report(locator) -> dict:
    """One ``<audio>``: ``src``, ``duration`` (s, None if not decoded), ``error``, ``bytes``,
    ``sha256`` of its bytes (a different sound gives a different digest)."""
    return locator.evaluate(_AUDIO_REPORT_JS)


def image_report(locator) -> dict:
    """One ``<img>``: ``src``, ``width``/``height`` in pixels (0 if not decoded), ``error``,
    ``sha256`` of the decoded RGBA pixels and their ``mean`` (0-255)."""
    return locator.evaluate(_IMAGE_REPORT_JS)


def audio_reports(page, scope: str = _PANEL) -> list[dict]:
    """Reports for every ``<audio>`` under ``scope`` (a CSS selector)."""
    audios = page.locator(f"{scope} audio")
    return [audio_report(audios.nth(i)) for i in range(audios.count())]


def image_reports(page, scope: str = f"{_PANEL} .jp-OutputArea-output") -> list[dict]:
    """Reports for every ``<img>`` under ``scope`` (widget images and inline figures)."""
    images = page.locator(f"{scope} img")
    return [image_report(images.nth(i)) for i in range(images.count())]


def audio_problems(reports: list[dict]) -> list[str]:
    """Players without a source, or whose sound Chromium could not decode (duration <= 0)."""
    problems = []
    for i, report in enumerate(reports):
        if not report["src"]:
            problems.append(f"<audio> #{i} has no source")
        elif report["error"] or not report["duration"] or report["duration"] <= 0:
            problems.append(
                f"<audio> #{i} ({report['bytes']} bytes) did not decode: "
                f"duration={report['duration']}, error={report['error']}"
            )
    return problems


def image_problems(reports: list[dict]) -> list[str]:
    """Pictures without a source, or that Chromium could not decode (naturalWidth 0)."""
    problems = []
    for i, report in enumerate(reports):
        if not report["src"]:
            problems.append(f"<img> #{i} has no source")
        elif report["error"] or report["width"] <= 0 or report["height"] <= 0:
            problems.append(
                f"<img> #{i} did not decode: {report['width']}x{report['height']} px, "
                f"error={report['error']}"
            )
    return problems


# --------------------------------------------------------------------------- controls


def control(scope, label: str, kind: str):
    """The ipywidgets control of ``kind`` (``dropdown`` or ``slider``) whose description is
    ``label``, inside the locator ``scope``."""
    return scope.locator(
        f".widget-{kind}",
        has=scope.page.locator(
            ".widget-label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
        ),
    )


def choose_other_option(scope, label: str) -> tuple[str, str]:
    """Pick, as a person would, the next option of the dropdown ``label`` (wrapping round);
    returns the shown option before and after. ValueError if it offers fewer than 2 options."""
    select = control(scope, label, "dropdown").locator("select")
    options = select.locator("option").all_inner_texts()
    if len(options) < 2:
        raise ValueError(f"the {label!r} dropdown offers {options}: nothing else to choose")
    before = select.evaluate("el => el.options[el.selectedIndex].text")
    after = options[(options.index(before) + 1) % len(options)]
    select.select_option(label=after)
    return before, after


def move_slider(scope, label: str, timeout_s: float = 10.0) -> tuple[str, str]:
    """Move the slider ``label`` one step with the keyboard (ArrowRight, or ArrowLeft at its
    maximum) on its handle; returns its readout before and after the move."""
    slider = control(scope, label, "slider")
    handle = slider.locator(".noUi-handle")
    readout = slider.locator(".widget-readout")
    before = readout.inner_text().strip()
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    handle.press("ArrowLeft" if at_max else "ArrowRight")
    deadline = time.monotonic() + timeout_s
    while readout.inner_text().strip() == before and time.monotonic() < deadline:
        scope.page.wait_for_timeout(100)
    return before, readout.inner_text().strip()


def shown_sources(scope) -> tuple[list[str], list[str]]:
    """The ``src`` of every ``<audio>`` and every ``<img>`` inside ``scope``."""
    audio = scope.locator("audio").evaluate_all("els => els.map(e => e.src)")
    images = scope.locator("img").evaluate_all("els => els.map(e => e.src)")
    return audio, images


def wait_until_shown_changes(scope, before, timeout_s: float = 60.0, settle_s: float = 1.0):
    """Wait until every audio and image ``src`` in ``scope`` differs from ``before`` (as
    returned by ``shown_sources``) and then stays the same for ``settle_s`` seconds.
    Returns the sources then; raises TimeoutError naming what did not change."""
    deadline = time.monotonic() + timeout_s
    current, stable_since = shown_sources(scope), time.monotonic()
    while time.monotonic() < deadline:
        scope.page.wait_for_timeout(200)
        latest = shown_sources(scope)
        if latest != current:
            current, stable_since = latest, time.monotonic()
            continue
        changed = all(
            len(now) == len(old) and all(a != b for a, b in zip(now, old, strict=True))
            for now, old in zip(current, before, strict=True)
        )
        if changed and time.monotonic() - stable_since >= settle_s:
            return current
    raise TimeoutError(
        f"within {timeout_s:.0f} s the shown sources did not all change: before {before}, "
        f"now {current}"
    )


DATASET_BROWSER = ".audiogan-dataset-browser"


@dataclass
class BrowserStep:
    """One move of a dataset-browser control and what was shown before and after it."""

    control: str
    value_before: str
    value_after: str
    audio_before: dict
    audio_after: dict
    image_before: dict
    image_after: dict
    screenshot: Path


def exercise_dataset_browser(page, screenshot_dir: Path, prefix: str) -> list[BrowserStep]:
    """Move the Digit and Speaker dropdowns and the Take slider of the one dataset browser
    (CSS class ``audiogan-dataset-browser``) in turn, as a person would, and record its
    ``<audio>`` and ``<img>`` before and after each move (after both have been replaced).

    Screenshots: ``<prefix>-browser-before.png`` and ``<prefix>-browser-after-<control>.png``.
    """
    browser = page.locator(DATASET_BROWSER)
    if browser.count() != 1:
        raise ValueError(
            f"expected one element of class {DATASET_BROWSER[1:]}, found "
            f"{browser.count()}; add it with widget.add_class(...)"
        )
    for tag in ("audio", "img"):
        if browser.locator(tag).count() != 1:
            raise ValueError(
                f"the dataset browser shows {browser.locator(tag).count()} <{tag}>, expected one"
            )
    screenshot_element(browser, screenshot_dir / f"{prefix}-browser-before.png")
    moves = (
        ("Digit", lambda: choose_other_option(browser, "Digit")),
        ("Speaker", lambda: choose_other_option(browser, "Speaker")),
        ("Take", lambda: move_slider(browser, "Take")),
    )
    steps = []
    for name, move in moves:
        sources = shown_sources(browser)
        audio_before = audio_report(browser.locator("audio"))
        image_before = image_report(browser.locator("img"))
        value_before, value_after = move()
        wait_until_shown_changes(browser, sources)
        shot = screenshot_element(browser, screenshot_dir / f"{prefix}-browser-after-{name}.png")
        steps.append(
            BrowserStep(
                name,
                value_before,
                value_after,
                audio_before,
                audio_report(browser.locator("audio")),
                image_before,
                image_report(browser.locator("img")),
                shot,
            )
        )
    return steps


# --------------------------------------------------------------------------- screenshots


def screenshot_notebook(page, path: Path, max_height: int = 12000) -> Path:
    """The whole notebook in one PNG at ``path``: the viewport grows to the notebook's height."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or VIEWPORT
    height = page.evaluate(
        f"""() => {{
            const outer = document.querySelector('{_PANEL} .jp-WindowedPanel-outer');
            if (!outer) return document.body.scrollHeight;
            outer.scrollTop = 0;
            const cells = [...outer.querySelectorAll('.jp-Cell')];
            const bottom = cells.length ? cells[cells.length - 1].getBoundingClientRect().bottom
                                        : outer.getBoundingClientRect().bottom;
            return Math.ceil(bottom) + 60;
        }}"""
    )
    page.set_viewport_size({"width": size["width"], "height": min(max_height, max(height, 400))})
    try:
        page.evaluate(
            f"() => {{ const o = document.querySelector('{_PANEL} .jp-WindowedPanel-outer');"
            " if (o) o.scrollTop = 0; }"
        )
        page.wait_for_timeout(300)
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)
    return path


def screenshot_element(locator, path: Path) -> Path:
    """One element, whole, in a PNG at ``path``: the viewport grows so that it fits below the
    JupyterLab toolbar, then the element is scrolled to the top of the notebook."""
    page = locator.page
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or VIEWPORT
    box_height = locator.evaluate("el => el.getBoundingClientRect().height")
    page.set_viewport_size(
        {"width": size["width"], "height": int(max(size["height"], box_height + 300))}
    )
    try:
        locator.evaluate("el => el.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(200)
        locator.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)
    return path
