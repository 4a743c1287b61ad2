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

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the static binary into bin/baton
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/baton

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
lint: ## Run golangci-lint with the curated linters of .golangci.yml
	$(TOOLS) golangci-lint run $(PKGS)

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
