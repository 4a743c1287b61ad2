# syntax=docker/dockerfile:1
#
# Baton's container images, built without cgo into a static binary.
#
#   default target: FROM scratch with the binary, CA certificates, a
#     non-root user (65532) and a /data volume: for servers, and for workers
#     whose tasks need no shell.
#   --target worker: Debian slim with /bin/sh and the usual tools, for
#     workers (tasks run as /bin/sh -c COMMAND). Or copy /baton from the
#     default image into an image of your own tools.
#
# `make image` passes VERSION, COMMIT and SOURCE_DATE_EPOCH from git, so
# that `baton version` tells the build and two builds of one commit give
# the same binary. See docs/operations.md ("Container image").

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG SOURCE_DATE_EPOCH=0
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-X github.com/baton-sched/baton/internal/version.version=${VERSION} \
                -X github.com/baton-sched/baton/internal/version.commit=${COMMIT} \
                -X github.com/baton-sched/baton/internal/version.date=$(date -u -d @${SOURCE_DATE_EPOCH} +%Y-%m-%dT%H:%M:%SZ)" \
      -o /out/baton ./cmd/baton
# The scratch image's few files: a user, a group, /data and /tmp.
RUN mkdir -p /out/root/etc /out/root/data /out/root/tmp \
 && echo 'baton:x:65532:65532:baton:/data:/sbin/nologin' > /out/root/etc/passwd \
 && echo 'baton:x:65532:' > /out/root/etc/group \
 && chown 65532:65532 /out/root/data \
 && chmod 1777 /out/root/tmp

FROM debian:bookworm-slim AS worker
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 baton \
 && useradd --system --uid 65532 --gid 65532 --home-dir /data --shell /usr/sbin/nologin baton \
 && mkdir -p /data && chown baton:baton /data
COPY --from=build /out/baton /usr/local/bin/baton
USER 65532:65532
WORKDIR /data
VOLUME /data
ENTRYPOINT ["/usr/local/bin/baton"]
CMD ["worker"]

FROM scratch
COPY --from=build /out/root/ /
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/baton /baton
USER 65532:65532
WORKDIR /data
VOLUME /data
EXPOSE 8420
ENTRYPOINT ["/baton"]
CMD ["server"]
