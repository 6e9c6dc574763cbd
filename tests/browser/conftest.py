"""Fixtures for the browser tests: one JupyterLab server and one Chromium for the session.

Both are always shut down, also when a test fails or times out. Every test gets a fresh page
(it needs ``lab_server``); when a test fails, the page is saved as
``tests/browser/screenshots/<test>-failure.png`` and that path, the browser console errors and
the end of the server log are added to the failure report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import (
    CHROMIUM_ARGS,
    VIEWPORT,
    copy_notebook,
    require_chromium,
    screenshot_notebook,
    start_lab_server,
)

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, add a screenshot, console errors and the server log."""
    report = yield
    tab = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and tab is not None and not tab.is_closed():
        name = item.name.replace("/", "_").replace("[", "-").replace("]", "")
        try:
            shot = str(screenshot_notebook(tab, SCREENSHOTS / f"{name}-failure.png"))
        except Exception as error:  # noqa: BLE001 - the failure itself matters more
            shot = f"(could not take one: {error})"
        report.sections.append(("screenshot", shot))
        errors = getattr(tab, "console_errors", [])
        report.sections.append(("browser console errors", "\n".join(errors[-30:]) or "(none)"))
        server = item.funcargs.get("lab_server")
        if server is not None:
            report.sections.append(("jupyterlab log (end)", server.log_tail()))
    return report


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """``tests/browser/screenshots/`` (ignored by git), where every screenshot goes."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; the test fails with what to install when it is missing."""
    return require_chromium()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory, chromium):
    """A JupyterLab server on 127.0.0.1 with a throwaway root (``lab_server.root``)."""
    work_dir = tmp_path_factory.mktemp("jupyterlab")
    root = work_dir / "root"
    root.mkdir()
    server = start_lab_server(root, work_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory, chromium):
    """Headless Chromium with a fresh user-data dir (a persistent context)."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(chromium),
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport=VIEWPORT,
        )
        try:
            yield context
        finally:
            context.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser_context, lab_server, screenshot_dir):
    """A new tab; its console errors are kept as ``page.console_errors``."""
    tab = browser_context.new_page()
    tab.console_errors = []
    tab.on(
        "console",
        lambda message: (
            tab.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    tab.on("pageerror", lambda error: tab.console_errors.append(f"page error: {error}"))
    try:
        yield tab
    finally:
        tab.close()
        lab_server.shutdown_kernels()


@pytest.fixture(scope="module")
def quick_notebook(request, lab_server, fsdd_path):
    """The test module's ``NOTEBOOK`` (a file name in ``notebooks/``), copied into the server
    root with ``quick = True`` and the module's ``PARAMETERS`` (a dict, if it has one)."""
    source = NOTEBOOKS / request.module.NOTEBOOK
    if not source.is_file():
        pytest.fail(f"{source} is missing: {request.module.__name__} checks it", pytrace=False)
    parameters = {"quick": True, **getattr(request.module, "PARAMETERS", {})}
    return copy_notebook(source, lab_server.root, parameters)
