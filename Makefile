# The front door. `make help` lists the targets; each one calls a single script.
.DEFAULT_GOAL := help
.PHONY: help up down debug status logs deploy destroy deploy-app destroy-app lint format test test-unit test-fast test-docker bench profile urls dlq redrive demo trace dashboard node clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

up: ## start LocalStack (Docker if an engine and Compose v2 answer, else embedded) and wait for the init hooks
	@scripts/localenv.sh up

down: ## stop LocalStack and every function process it started
	@scripts/localenv.sh down

debug: ## restart with one function under the debugger (FN=<function>; LAMBDA_DEBUG=a,b for several), see docs/debugging.md
	@test -n "$(FN)" || { echo "usage: make debug FN=<function> (e.g. FN=product)" >&2; exit 2; }
	@scripts/venv.sh && LAMBDA_DEBUG=$(FN) .venv/bin/python -m tools.debug_ports check >/dev/null  # a wrong name stops nothing
	@scripts/localenv.sh down && LAMBDA_DEBUG=$(FN) scripts/localenv.sh up

status: ## say whether LocalStack is running and ready, with each init hook's state, the shop's and each app's (non-zero when one is not whole)
	@scripts/localenv.sh status && .venv/bin/python -m embedded_localstack.apps status --reserved-names infra.reserved_names:shop

logs: ## print the end of LocalStack's log (LINES=200)
	@scripts/localenv.sh logs

deploy: ## deploy the stack again into the running LocalStack (as the init hook does; changes only what drifted)
	@scripts/venv.sh && .venv/bin/python -m infra.archives && .venv/bin/python -m infra.deploy

deploy-app: ## deploy your own CDK, SAM or CloudFormation app (APP=<dir>), see docs/your-own-app.md
	@scripts/venv.sh && .venv/bin/python -m embedded_localstack.apps deploy "$(APP)" --reserved-names infra.reserved_names:shop

destroy-app: ## remove an app that deploy-app deployed (APP=<dir>)
	@scripts/venv.sh && .venv/bin/python -m embedded_localstack.apps destroy "$(APP)"

destroy: ## delete every resource the stack declares from the running LocalStack (LocalStack keeps running)
	@scripts/venv.sh && .venv/bin/python -m infra.deploy --destroy

test: lint ## lint, then unit and integration tests (starts LocalStack if needed, and stops it again)
	@scripts/test.sh

lint: ## ruff (lint and format check) and mypy (types), settings in pyproject.toml; `make format` fixes what it can
	@scripts/venv.sh && .venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && echo "==> lint: clean"

format: ## ruff: format the code and apply the safe lint fixes
	@scripts/venv.sh && .venv/bin/ruff format . && .venv/bin/ruff check --fix .

test-unit: ## unit tests only: domain code, handlers and tools, no LocalStack (seconds)
	@scripts/venv.sh && .venv/bin/python -m pytest -q -n 4 tests/unit

test-fast: ## unit tests plus the synchronous path (API Gateway -> Lambda -> DynamoDB), under a minute
	@scripts/test.sh -q tests/unit tests/integration/test_sync_product_api.py tests/integration/test_sync_basket_and_order_api.py

test-docker: ## Docker-mode smoke test: up, checkout, order, hot reload, down (skips without an engine)
	@scripts/test-docker.sh

bench: ## run the benchmarks and write BENCHMARKS.md (starts LocalStack if needed)
	@scripts/bench.sh

profile: ## flame graph of LocalStack's CPU while one benchmark runs (BENCH=<name>), in build/profile/
	@scripts/profile.sh

urls: ## print the URLs of the shop's APIs and of every app's APIs, and the debugger ports under LAMBDA_DEBUG
	@scripts/venv.sh && .venv/bin/python -m tools.urls && .venv/bin/python -m embedded_localstack.apps urls && .venv/bin/python -m tools.debug_ports show

dlq: ## list what sits in each dead-letter queue, with the first messages and why they failed
	@scripts/venv.sh && .venv/bin/python -m tools.dead_letters list

redrive: ## move dead-letter messages back to their source queue (QUEUE=<name> for one)
	@scripts/venv.sh && .venv/bin/python -m tools.dead_letters redrive $(QUEUE)

demo: ## a scripted shopping session through every path, printing each call (needs `make up`)
	@scripts/venv.sh && .venv/bin/python -m tools.demo

trace: ## one checkout's path with the duration of each hop, from CloudWatch Logs (ID=<checkoutId>)
	@scripts/venv.sh && .venv/bin/python -m tools.trace $(ID)

dashboard: ## serve the dashboard on 127.0.0.1 (DASHBOARD_PORT, default 4580): resources, dead letters, waterfall, bench charts
	@scripts/venv.sh && .venv/bin/python -m dashboard

node: ## install Node.js MAJOR=<N> from the npm registry into build/node/, for nodejs<N>.x functions in embedded mode
	@scripts/node-major.sh $(MAJOR)

clean: down ## stop, then remove the virtual environment, the state directory and the built archives
	@# Docker mode's .state/docker holds files the container made as root (Linux): remove them through it.
	@if [ -d .state/docker ] && ! rm -rf .state/docker 2>/dev/null; then \
	  docker run --rm -v "$$(pwd -P)/.state:/state" --entrypoint rm $${LOCALSTACK_IMAGE:-localstack/localstack:4.14.0} -rf /state/docker; fi
	rm -rf .venv .venv-fuzz .state build
