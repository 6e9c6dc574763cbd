"""Browser tests: notebooks in JupyterLab, driven in headless Chromium (issue 3)."""
