# The service image for docker-compose.yml and production. Build: docker build -t ukraine-tp-dossiers .
# Node.js 26, the Active LTS line since October 2026 (Node.js 20 reached end of life in April 2026);
# package.json "engines" says which other lines run the service.
FROM node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the committed lock file, dev dependencies included for the build; install scripts run
# only where package.json "allowScripts" approves them (npm 11).
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# What the service needs at run time: production dependencies, without the optional embedded
# PostgreSQL (binaries for every platform; the image runs on DATABASE_URL) and without install
# scripts (none of the production dependencies needs one).
FROM node:26-trixie-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:26-trixie-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=dependencies --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# package.json and the build check for `npm run -s cli -- …` (token, import crt, archive): without
# sources there is nothing to rebuild, so it runs the built CLI.
COPY --chown=node:node package.json ./
COPY --chown=node:node scripts/build-if-stale.js ./scripts/
# Starts node with V8's heap bounded by HEAP_LIMIT_MIB (default 200), grown by HEAP_GROWTH_PERCENT (default 100) and its young generation held at HEAP_SEMI_SPACE_MIB (default 16), as npm start does.
COPY --chown=node:node scripts/start-node.sh ./scripts/
# GET /problems/{slug} serves the entries of docs/errors.md.
COPY --chown=node:node docs/errors.md ./docs/
USER node
EXPOSE 3000
# Liveness: the process answers. Readiness (/health/ready) fails while PostgreSQL or the event
# store is away or a projection lags: that is for a balancer or an orchestrator to route around,
# and a restart would not cure it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD node -e "fetch('http://127.0.0.1:3000/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# V8's heap bounded by HEAP_LIMIT_MIB, grown by HEAP_GROWTH_PERCENT and its young generation held at HEAP_SEMI_SPACE_MIB as `npm start` has it (docs/operations.md, "Memory"); a spec holds the two equal.
CMD ["sh", "scripts/start-node.sh", "dist/apps/api/apps/api/src/main.js"]
