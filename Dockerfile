# Custodian API and worker image (one image, two commands: `api` or `worker`), running the compiled
# JavaScript of `npm run build` with production dependencies only (test/start/built-entry-point.test.ts
# runs this ENTRYPOINT and CMD on a build, as the final stage lays it out).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY providers ./providers
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
USER node
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["api"]
