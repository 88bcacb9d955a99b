# syntax=docker/dockerfile:1
# check=skip=InvalidDefaultArgInFrom
# One Dockerfile for every service: `--build-arg SERVICE=<folder under services/>`.
# NODE_IMAGE has no default on purpose: versions.yaml (`images.node`) is the one pin, and both
# callers pass it (scripts/lib/images/build.ts and the Tiltfile). A default here would be a second
# copy that drifts; without the argument the build stops at the first FROM.
ARG NODE_IMAGE

# Dependencies from the lockfile, shared by every service (SERVICE is not declared yet, so this
# layer is cached once for all six images).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --ignore-scripts

# dev: the TypeScript sources under tsx's watcher. Tilt's live_update syncs services/<svc>/src and
# services/shared into /app, and the watcher restarts the process. Files belong to uid 1000, the
# user that runs the container and that Tilt's sync writes as.
FROM deps AS dev
ARG SERVICE
RUN test -n "${SERVICE}" || { echo 'build with --build-arg SERVICE=<name>' >&2; exit 1; }
ENV SERVICE=${SERVICE} NODE_ENV=development HOST=0.0.0.0 PORT=8080 ADMIN_PORT=9090
COPY --chown=1000:1000 tsconfig.json ./
COPY --chown=1000:1000 services/shared/ services/shared/
COPY --chown=1000:1000 services/${SERVICE}/src/ services/${SERVICE}/src/
USER 1000:1000
EXPOSE 8080 9090
ENTRYPOINT ["/bin/sh", "-c", "exec node_modules/.bin/tsx watch --clear-screen=false \"services/${SERVICE}/src/main.ts\""]

# build: one ESM file per service, with the same esbuild options as the cold-start benchmark.
FROM deps AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo 'build with --build-arg SERVICE=<name>' >&2; exit 1; }
COPY tsconfig.json ./
COPY scripts/lib/versions.ts scripts/lib/
COPY scripts/lib/images/bundle.ts scripts/lib/images/bundle-entry.ts scripts/lib/images/
COPY services/shared/ services/shared/
COPY services/${SERVICE}/src/ services/${SERVICE}/src/
RUN node --import tsx scripts/lib/images/bundle-entry.ts "${SERVICE}" /app/dist

# production (the default target): compiled JavaScript only, no node_modules (everything is
# bundled), no npm, run as uid 1000. It writes nothing outside /tmp, so it runs on a read-only
# root filesystem.
FROM ${NODE_IMAGE} AS production
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 ADMIN_PORT=9090
WORKDIR /app
COPY --from=build /app/dist/ ./
# Numeric, so that the kubelet can verify runAsNonRoot (uid 1000 is `node` in the base image).
USER 1000:1000
EXPOSE 8080 9090
CMD ["node", "--enable-source-maps", "main.mjs"]
