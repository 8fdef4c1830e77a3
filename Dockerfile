# syntax=docker/dockerfile:1
# The Latchkey image: `latchkey operator` by default (what the Helm chart runs), any other command with arguments.
#
# Base image. Releases pin it by digest, so a rebuild cannot silently change it:
#   docker buildx imagetools inspect node:24.21.0-bookworm-slim     # prints "Digest: sha256:…"
#   docker build --build-arg NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest> -t latchkey .
# The Node.js version is the one package.json pins for development and tests (devDependencies.node);
# test/chart/dockerfile.test.ts fails when the two differ.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# Compiles src/ to dist/ with the dev dependencies (TypeScript).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# The runtime dependencies alone. No dependency needs an install script, so none runs.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# The package managers are not needed to run and only widen what an attacker could use.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the process: it cannot change its own code.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# `latchkey dev` serves these when no --manifests folder is given.
COPY examples ./examples
# Numeric, so that Kubernetes' runAsNonRoot can verify it; the chart runs the pod as the same user.
USER 65532:65532
EXPOSE 8080 8081
# Semi-spaces of at most 8 MiB instead of V8's default (up to 64 MiB, sized from the machine's memory): the
# start-up burst (listing every object, compiling the store) otherwise grows the young generation for good,
# which doubles idle RSS with 1,000 clients; token throughput stays the same (docs/performance.md).
# Optimizing compilation on the main thread instead of V8's worker threads: their compiler memory is freed to
# glibc's per-thread arenas, which keep it (~14 MiB idle RSS with 1,000 clients); docs/performance.md, Memory.
# By its absolute path, so `docker run -w /work … validate .` works from a mounted folder.
ENTRYPOINT ["node", "--max-semi-space-size=8", "--no-concurrent-recompilation", "/app/dist/cli/main.js"]
CMD ["operator"]
