# syntax=docker/dockerfile:1
# The images of kms-chain, one Dockerfile for the three apps. Build from the repository root (the
# workspace's packages are needed), naming the app as build argument and as target:
#   docker build --build-arg APP=kes --target kes -t kms-chain/kes .   (docker-compose.yml does this)
# The stages up to `runtime` are the same for every app; the last stage of each app adds only its
# mount points, port and command.
# The `etcd` stage (the `ha` profile's etcd members) stands apart: Debian's etcd-server only.

# 1. Build: install the whole workspace and compile the app and the packages it imports.
FROM node:24-bookworm-slim AS build
ARG APP
WORKDIR /src
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages/ packages/
COPY apps/ apps/
COPY tools/ tools/
COPY e2e/package.json e2e/
# --ignore-scripts: the root `prepare` would build every workspace; build only what the app needs.
RUN test -n "${APP}" && test -d "apps/${APP}" \
 && npm ci --ignore-scripts --no-audit --no-fund \
 && npx turbo run build --filter=@kms-chain/${APP}... --filter=@kms-chain/tools...

# 2. Production dependencies of the app only (workspace links to the packages included), and of
# @kms-chain/tools, which the compose init steps (scripts/compose-init.mjs) run on.
FROM node:24-bookworm-slim AS deps
ARG APP
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/ packages/
COPY apps/ apps/
COPY tools/ tools/
COPY e2e/package.json e2e/
RUN npm ci --ignore-scripts --no-audit --no-fund --omit=dev -w @kms-chain/${APP} -w @kms-chain/tools \
 && rm -rf packages/*/src apps/*/src apps/*/test apps/*/bench packages/*/testdata apps/*/testdata tools/src

# 3. Runtime: node_modules, package manifests and compiled output.
FROM node:24-bookworm-slim AS runtime
ARG APP
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/ /app/
COPY --from=build /src/packages/cli/dist/ /app/packages/cli/dist/
COPY --from=build /src/packages/concurrency/dist/ /app/packages/concurrency/dist/
COPY --from=build /src/packages/crypto/dist/ /app/packages/crypto/dist/
COPY --from=build /src/packages/durable-fs/dist/ /app/packages/durable-fs/dist/
COPY --from=build /src/packages/duration/dist/ /app/packages/duration/dist/
COPY --from=build /src/packages/libc/dist/ /app/packages/libc/dist/
COPY --from=build /src/packages/policy/dist/ /app/packages/policy/dist/
COPY --from=build /src/packages/tls-identity/dist/ /app/packages/tls-identity/dist/
COPY --from=build /src/apps/${APP}/dist/ /app/apps/${APP}/dist/
COPY --from=build /src/tools/dist/ /app/tools/dist/

# 4. One stage per app. Mount points are owned by the runtime user, so named volumes start out
# writable for it; the app runs as the unprivileged `node` user. `test -d` catches a target whose
# APP build argument names another app.
FROM runtime AS vault
RUN test -d /app/apps/vault/dist && mkdir -p /pki /config /vault/file && chown node:node /pki /config /vault/file
USER node
EXPOSE 8200
ENTRYPOINT ["node", "/app/apps/vault/bin/vault.js"]
CMD ["server", "-config", "/config/vault-config.json"]

FROM runtime AS kes
RUN test -d /app/apps/kes/dist && mkdir -p /pki /config /kes-config /state && chown node:node /pki /config /kes-config /state
USER node
EXPOSE 7373
ENTRYPOINT ["node", "/app/apps/kes/bin/kes.js"]
CMD ["server", "--config=/kes-config/kes-config.toml", "--root=disabled", "--mtls-auth=verify"]

# The compose init steps (scripts/compose-init.mjs: dev PKI, the guide's Vault set-up, the KES config)
# run in the kes image, on @kms-chain/tools and @kms-chain/tls-identity.
FROM kes AS init
COPY --chown=node:node scripts/ /app/scripts/
ENTRYPOINT ["node", "/app/scripts/compose-init.mjs"]
CMD ["setup"]

FROM runtime AS minio
RUN test -d /app/apps/minio/dist && mkdir -p /pki /config /data && chown node:node /pki /config /data
USER node
EXPOSE 9000
ENTRYPOINT ["node", "/app/apps/minio/bin/minio.js"]
CMD ["server", "/data", "--address", ":9000", "--certs-dir", "/pki/minio-certs"]

# The etcd members of docker-compose.yml's `ha` profile: Debian's etcd-server (the etcd .ci/run
# installs for the HA tests), on the same base as the apps so its health check runs on node too.
FROM node:24-bookworm-slim AS etcd
RUN apt-get update \
 && apt-get install -y --no-install-recommends etcd-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etcd && chown node:node /etcd
USER node
EXPOSE 2379 2380
ENTRYPOINT ["etcd"]
