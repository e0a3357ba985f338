# syntax=docker/dockerfile:1
# The safehold runner image: the safehold CLI (Node.js) plus every program it may start.
#
#   npm run image          # builds it here with buildah and a locally made base (scripts/build-image.sh)
#   docker build -t ghcr.io/safehold/runner:0.1.0 --build-arg VERSION=0.1.0 .
#
# The base is a build argument so the image can be built without a registry
# (--build-arg BASE=localhost/safehold-base:trixie, made with debootstrap by scripts/build-image.sh).
#
# Versions are pinned by the Debian release: Debian 13 "trixie" stable only receives security and
# bug-fix updates, so the majors below stay fixed for the life of this base:
#   restic 0.18 (>= 0.17: --stdin-from-command, clean lock release on SIGTERM),
#   postgresql-client 17 — pg_dump 17 dumps servers from 9.2 to 17 and pg_restore 17 reads those
#     dumps; a dump tool older than the server refuses to work, so the client is the newest major,
#   mariadb-client 11.8 (mariadb-dump, mariadb),
#   redis-tools 8.0 (redis-cli --rdb, redis-check-rdb) and redis-server (the binary is used to
#     load a stored RDB for checks), tini 0.19 as PID 1, nodejs 20.
# test/image/binaries.test.ts checks this install list against src/runner/binaries.ts (BINARIES).
ARG BASE=docker.io/library/debian:trixie-slim

# ---- build: compile the TypeScript and keep only the runtime dependencies -------------------
FROM ${BASE} AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates nodejs \
 && rm -rf /var/lib/apt/lists/*
# npm comes through corepack (part of Debian's nodejs) at a pinned version: Debian's own npm
# package drags in ~380 packages and adds ~30 s to every cold build.
ARG NPM_VERSION=11.19.1
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# One step, so the full dev tree is never committed as a layer: install (npm's cache persists
# between builds), compile, drop the dev dependencies and what no program loads at run time
# (TypeScript sources and declarations, source maps, read-mes: ~50 MB), and check the pruned
# tree runs the compiled CLI without tsx.
# An optional extra CA bundle for npm (e.g. behind a TLS-intercepting proxy):
#   --secret id=npm-ca,src=/etc/ssl/certs/ca-certificates.crt   (build-image.sh passes the machine's)
RUN --mount=type=cache,id=safehold-npm,target=/root/.npm \
    --mount=type=cache,id=safehold-corepack,target=/root/.cache/node/corepack \
    --mount=type=secret,id=npm-ca \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi \
 && corepack npm@${NPM_VERSION} ci --ignore-scripts --prefer-offline --no-audit --no-fund --no-update-notifier \
 && corepack npm@${NPM_VERSION} run build \
 && corepack npm@${NPM_VERSION} prune --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
      -o -iname 'readme*' -o -iname 'changelog*' -o -iname 'history.md' \) -delete \
 && node bin/safehold.mjs --version

# ---- runtime -------------------------------------------------------------------------------------
FROM ${BASE}
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/safehold/safehold
ARG DEBIAN_FRONTEND=noninteractive
LABEL org.opencontainers.image.title="safehold runner" \
      org.opencontainers.image.description="Backup and restore for applications on Kubernetes: the safehold runner with restic, pg_dump, mariadb-dump and redis-cli" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"

# UID/GID 65532 = RUNNER_UID in src/contract/layout.ts. The passwd entry matters: Node's
# os.userInfo() throws for a UID without one. Home is /tmp, the pod's only writable place
# (an emptyDir; the root filesystem is mounted read-only), where restic keeps its cache.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      mariadb-client \
      nodejs \
      postgresql-client \
      redis-server \
      redis-tools \
      restic \
      tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/cache/debconf/*-old \
      /var/log/apt /var/log/dpkg.log /var/log/alternatives.log \
 && echo 'safehold:x:65532:65532:safehold runner:/tmp:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'safehold:x:65532:' >> /etc/group \
 && mkdir -p /etc/safehold /var/run/safehold/secrets /var/lib/safehold/repository

COPY --from=build /src/package.json /opt/safehold/package.json
COPY --from=build /src/node_modules /opt/safehold/node_modules
COPY --from=build /src/build /opt/safehold/build
COPY --from=build /src/bin /opt/safehold/bin
RUN ln -s /opt/safehold/bin/safehold.mjs /usr/local/bin/safehold

ENV HOME=/tmp \
    TMPDIR=/tmp \
    NODE_ENV=production
USER 65532:65532
WORKDIR /tmp
# Smoke test at build time, as the runtime user.
RUN ["safehold", "--version"]

# -g: SIGTERM (deadline, drain, eviction) goes to the runner's process group; the runner stops its own children.
ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/usr/local/bin/safehold"]
CMD ["--help"]
