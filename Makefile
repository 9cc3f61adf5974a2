.PHONY: setup check test run bench screenshots

setup:
	bash scripts/setup.sh

check:
	bash scripts/check.sh

test:
	bash scripts/test.sh

run:
	bash scripts/run-app.sh

bench:
	.venv/bin/python -m benchmarks.lookup

# The README's pictures, rendered offscreen from demo lounges in temporary folders.
screenshots:
	.venv/bin/python scripts/desk_screenshots.py
	.venv/bin/python scripts/history_screenshots.py
	.venv/bin/python scripts/manager_screenshots.py
