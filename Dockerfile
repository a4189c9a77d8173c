# One image per app: docker build --build-arg APP=gateway|inventory|checkout .
# The base image can be swapped (NODE_IMAGE) where the default cannot be pulled.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /workspace
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nx.json tsconfig.base.json tsconfig.json jest.preset.js ./
COPY libs ./libs
COPY apps ./apps
ARG APP
# The gateway's build also builds the storefront page (apps/web), which it serves at /; the services
# have none, and an empty folder stands in for it.
RUN test -n "${APP}" && npx nx build "${APP}" --skip-nx-cache && mkdir -p dist/apps/web

FROM ${NODE_IMAGE} AS runtime
ARG APP
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /workspace/dist/apps/${APP} ./dist
# Beside the bundle, where the gateway looks for the page by default (PAGE_DIR).
COPY --from=build /workspace/dist/apps/web ./web
USER node
CMD ["node", "--enable-source-maps", "dist/main.js"]
