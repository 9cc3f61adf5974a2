.PHONY: setup check test run demo bench screenshots

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
