# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
.PHONY: run test lint format bench contracts install

install:
	./scripts/bootstrap.sh

run: install
	.venv/bin/convene up

test: install
	./scripts/test.sh

lint: install
	./scripts/lint.sh

format: install
	.venv/bin/ruff format services contracts devstack tests bench
	.venv/bin/ruff check --fix services contracts devstack tests bench

contracts: install
	.venv/bin/python -m contracts.generate

bench: install
	.venv/bin/python bench/event_latency.py
