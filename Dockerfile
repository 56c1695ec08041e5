# syntax=docker/dockerfile:1
# One image for every Keywarden service; the command picks the service.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production KEYWARDEN_DATA_DIR=/var/lib/keywarden
WORKDIR /app
RUN mkdir -p /var/lib/keywarden && chown node:node /var/lib/keywarden
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/package.json ./package.json
USER node
VOLUME ["/var/lib/keywarden"]
# e.g. dist/apps/key-registry/src/main.js; docker-compose.yml sets it per service.
CMD ["node", "--enable-source-maps", "dist/apps/keywarden/src/main.js"]
