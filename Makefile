# Baton's everyday commands. `make help` lists them.

GO       ?= go
BIN      := bin/baton
TOOLS    := $(GO) tool -modfile=$(CURDIR)/tools/go.mod
PKGS     := ./...
# Tests need PostgreSQL; override to point elsewhere.
export BATON_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the static binary into bin/baton
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/baton

.PHONY: dev
dev: build ## Run Baton on SQLite with three workers and the examples, and start the hello example
	./$(BIN) dev --apply examples/ --run hello

.PHONY: test
test: ## Vet and run every test with the race detector, on PostgreSQL and SQLite
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

.PHONY: lint
lint: vet vuln ## Vet, look for known vulnerabilities (govulncheck), run golangci-lint (.golangci.yml)
	$(TOOLS) golangci-lint run $(PKGS)

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
	gofmt -w internal/store/postgres/queries_gen.go

.PHONY: verify
verify: generate ## Check that generated code and go.mod are up to date
	$(GO) mod tidy
	git diff --exit-code -- go.mod go.sum internal/store
	gofmt -l . | (! grep .)

.PHONY: bench
bench: build ## Measure throughput, latency, scale and failover on PostgreSQL and SQLite (about 20 minutes; see docs/performance.md)
	./$(BIN) bench --json bench.json
	$(GO) test -run '^$$' -bench Lifecycle -benchtime 2s ./internal/engine/

.PHONY: chaos
chaos: build ## Run every failover scenario of scenarios/ at full length (about 6 minutes; see docs/chaos.md)
	./$(BIN) chaos run scenarios/*.yaml

.PHONY: clean
clean: ## Remove build output and the dev data directory
	rm -rf bin .baton
