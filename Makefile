# Baton's everyday commands. `make help` lists them.

GO       ?= go
BIN      := bin/baton
TOOLS    := $(GO) tool -modfile=$(CURDIR)/tools/go.mod
PKGS     := ./...
# What `baton version` prints: the nearest v* tag (else "dev"), the commit
# ("-dirty" with uncommitted changes) and the build date, which honours
# SOURCE_DATE_EPOCH so that a build can be reproduced bit for bit.
VERSION  ?= $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell c=$$(git rev-parse HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null || c=$$c-dirty; echo $$c; } || echo unknown)
DATE     ?= $(shell date -u $(if $(SOURCE_DATE_EPOCH),-d @$(SOURCE_DATE_EPOCH)) +%Y-%m-%dT%H:%M:%SZ)
VPKG     := github.com/baton-sched/baton/internal/version
LDFLAGS  := -X $(VPKG).version=$(VERSION) -X $(VPKG).commit=$(COMMIT) -X $(VPKG).date=$(DATE)
# Tests need PostgreSQL; override to point elsewhere.
export BATON_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export BATON_TEST_MYSQL ?= root@tcp(127.0.0.1:3306)/

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the static binary into bin/baton
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/baton

.PHONY: image
image: ## Build the container images baton (scratch) and baton-worker (Debian slim) with docker
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) \
		--build-arg SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) -t baton:$(VERSION) .
	docker build --target worker --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) \
		--build-arg SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) -t baton-worker:$(VERSION) .

.PHONY: ldflags
ldflags: ## Print the -ldflags `make build` links with (for other build scripts)
	@echo '$(LDFLAGS)'

.PHONY: dev
dev: build ## Run Baton on SQLite with three workers and the examples, and start the hello example
	./$(BIN) dev --apply examples/ --run hello

.PHONY: test
test: ## Vet and run every test with the race detector, on PostgreSQL and SQLite
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

.PHONY: lint
lint: vet vuln lint-go lint-deploy ## Vet, govulncheck, golangci-lint, and check the deployment files (systemd units, Helm chart, Prometheus rules, Grafana dashboard)

.PHONY: lint-go
lint-go: ## Run golangci-lint with the curated linters of .golangci.yml
	$(TOOLS) golangci-lint run $(PKGS)

.PHONY: lint-deploy
lint-deploy: lint-systemd lint-helm lint-rules ## Check deploy/: systemd-analyze verify, helm lint and template, the rendered manifests, promtool check and test rules

# The units name /usr/local/bin/baton, which systemd-analyze wants to find:
# they are verified as copies pointing at a stand-in; any warning fails.
.PHONY: lint-systemd
lint-systemd:
	@if ! command -v systemd-analyze >/dev/null; then \
		echo "systemd-analyze is not installed: the units are not verified"; exit 0; fi; \
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	printf '#!/bin/sh\n' > "$$tmp/baton" && chmod +x "$$tmp/baton" && \
	for u in deploy/systemd/*.service; do sed "s#/usr/local/bin/baton#$$tmp/baton#" "$$u" > "$$tmp/$${u##*/}"; done && \
	out=$$(cd "$$tmp" && systemd-analyze verify --man=no ./*.service 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; echo "systemd units: verified"

# helm comes from its own module (tools/helm/go.mod: its dependency graph
# is large and must not move the other tools' versions), built once.
HELM := bin/helm
$(HELM): tools/helm/go.mod tools/helm/go.sum
	$(GO) build -modfile=tools/helm/go.mod -o $@ helm.sh/helm/v4/cmd/helm

.PHONY: lint-helm
lint-helm: $(HELM)
	@for f in deploy/helm/baton/ci/*.yaml; do \
		$(HELM) lint --strict --quiet deploy/helm/baton -f "$$f" && \
		$(HELM) template lint deploy/helm/baton -f "$$f" >/dev/null || exit 1; \
	done; echo "helm chart: linted and rendered with each of deploy/helm/baton/ci/"
	BATON_HELM=$(CURDIR)/$(HELM) $(GO) test -count=1 ./deploy/

# promtool comes from its own module too (tools/promtool/go.mod: the
# Prometheus module's graph is larger still), built once. The alerting
# rules are checked and unit-tested, and every dashboard query is loaded as
# a recording rule so that one that does not parse fails.
PROMTOOL := bin/promtool
$(PROMTOOL): tools/promtool/go.mod tools/promtool/go.sum
	$(GO) build -modfile=tools/promtool/go.mod -o $@ github.com/prometheus/prometheus/cmd/promtool

.PHONY: lint-rules
lint-rules: $(PROMTOOL)
	$(PROMTOOL) check rules deploy/prometheus/alerts.yaml
	BATON_PROMTOOL=$(CURDIR)/$(PROMTOOL) $(GO) test -count=1 -run 'TestPrometheusRules|TestDashboard' ./deploy/

.PHONY: vet
vet: ## Run go vet
	$(GO) vet $(PKGS)

# govulncheck needs its database (vuln.go.dev); where it cannot be reached
# (an offline machine) this says so and does not fail. Found
# vulnerabilities fail.
.PHONY: vuln
vuln: ## Look for known vulnerabilities in the code and its modules (govulncheck)
	@out=$$($(TOOLS) govulncheck $(PKGS) 2>&1); rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "govulncheck: no known vulnerabilities"; \
	elif printf '%s' "$$out" | grep -q 'fetching vulnerabilities'; then \
		echo "govulncheck: NOT RUN: its vulnerability database (vuln.go.dev) cannot be reached from here:"; \
		printf '%s\n' "$$out" | head -3 | sed 's/^/  /'; \
	else printf '%s\n' "$$out"; exit $$rc; fi

.PHONY: generate
generate: ## Regenerate the query layer (sqlc) for both dialects
	cd internal/store && $(TOOLS) sqlc generate
	sed -e 's#^package sqlite$$#package postgres#' \
	    -e 's#internal/store/sqlitedb"#internal/store/pgdb"#' \
	    -e '1,3c\// Code generated from ../sqlite/queries.go by `make generate`. DO NOT EDIT.' \
	    internal/store/sqlite/queries.go > internal/store/postgres/queries_gen.go
	sed -e 's#^package sqlite$$#package postgres#' \
	    -e 's#internal/store/sqlitedb"#internal/store/pgdb"#' \
	    -e '1,3c\// Code generated from ../sqlite/triggers.go by `make generate`. DO NOT EDIT.' \
	    internal/store/sqlite/triggers.go > internal/store/postgres/triggers_gen.go
	gofmt -w internal/store/postgres/queries_gen.go internal/store/postgres/triggers_gen.go

.PHONY: verify
verify: generate ## Check that generated code and go.mod are up to date
	$(GO) mod tidy
	cd bench/peers && $(GO) mod tidy
	git diff --exit-code -- go.mod go.sum bench/peers/go.mod bench/peers/go.sum internal/store
	gofmt -l . | (! grep .)

.PHONY: bench
bench: build bench-peers ## Measure throughput, latency, scale and failover on PostgreSQL and SQLite, and River beside Baton (about 35 minutes; see docs/performance.md)
	./$(BIN) bench --json bench.json
	$(GO) test -run '^$$' -bench Lifecycle -benchtime 2s ./internal/engine/

.PHONY: bench-peers
bench-peers: build ## River beside Baton's noop: three interleaved rounds of 60 s on fresh databases, median ratio (about 8 minutes)
	cd bench/peers && CGO_ENABLED=0 $(GO) build -trimpath -o $(CURDIR)/bin/river-bench .
	./$(BIN) bench peers --river bin/river-bench --json bench-peers.json

.PHONY: chaos
chaos: build ## Run every failover scenario of scenarios/ at full length (about 6 minutes; see docs/chaos.md)
	./$(BIN) chaos run scenarios/*.yaml

.PHONY: clean
clean: ## Remove build output and the dev data directory
	rm -rf bin .baton
