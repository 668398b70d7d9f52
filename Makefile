# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
STAMP_APP := $(VENV)/.installed-app

.PHONY: run test bench bench-app app self-test dist wheel-self-test notices clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

$(STAMP_APP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,app]'
	touch $@ $(STAMP_TEST) $(STAMP_RUN)

run: $(STAMP_RUN)
	$(PY) -m explorer

test: $(STAMP_TEST)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP_TEST)
	QT_QPA_PLATFORM=offscreen $(PY) bench/playground.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/inference.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/explorer.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/live.py

# The standalone one-folder app (PyInstaller): dist/cnn-explorer/cnn-explorer
app: $(STAMP_APP)
	$(PY) -m PyInstaller --noconfirm --log-level WARN build_app.spec

# Size of dist/cnn-explorer and launch-to-painted-window time (bench/README.md)
bench-app: app
	QT_QPA_PLATFORM=offscreen $(PY) bench/startup.py

self-test: app
	dist/cnn-explorer/cnn-explorer --self-test

# The sdist and the wheel built from it, as `pip install cnn-explorer` gets them: dist/pkg/
dist: $(STAMP_TEST)
	rm -rf dist/pkg
	$(PY) -m pip install --quiet build
	$(PY) -m build --outdir dist/pkg .

# The wheel in a fresh virtual environment, run from outside the checkout so nothing comes from the source tree
wheel-self-test: dist
	rm -rf build/wheel-venv
	$(PYTHON) -m venv build/wheel-venv
	build/wheel-venv/bin/python -m pip install --quiet dist/pkg/*.whl
	cd build && wheel-venv/bin/cnn-explorer --self-test

# Maintainers: re-collect THIRD_PARTY_NOTICES after a dependency change (commit the result)
notices: app
	$(PY) tools/collect_notices.py --bundle dist/cnn-explorer

clean:
	rm -rf $(VENV) build dist *.egg-info
