# syntax=docker/dockerfile:1
# The one ksetl image: `ksetl server` (an engine pod of a KsqlCluster) and
# `ksetl operator` (the operator Deployment) run from it.
#   docker build -t ghcr.io/ksetl/ksetl:0.1.0 .
# The pods' command is `ksetl ...`, so the launcher is on PATH; the image
# holds the compiled JavaScript (dist/) and production dependencies only.

ARG NODE_IMAGE=node:24-slim

# ---- build: TypeScript → dist/ ------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY engine engine
COPY operator operator
COPY dashboards dashboards
RUN npx tsc -p tsconfig.build.json
# the web console's bundle (dist/console/, served under /console)
COPY console console
COPY scripts/build-console.ts scripts/build-console.ts
RUN npx tsx scripts/build-console.ts

# ---- production dependencies only --------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime --------------------------------------------------------------------
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="ksetl" \
      org.opencontainers.image.description="Self-service streaming SQL on Apache Kafka: engine and Kubernetes operator" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
COPY bin bin
RUN chmod 0555 bin/ksetl.js && ln -s /app/bin/ksetl.js /usr/local/bin/ksetl
# the node user of the official image (uid 1000), as the pods' runAsUser expects
USER 1000:1000
# the engine's REST API and metrics; the operator's health and metrics
EXPOSE 8088 8080
ENTRYPOINT []
CMD ["ksetl", "--help"]
