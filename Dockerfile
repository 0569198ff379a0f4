# Custodian API and worker image (one image, two commands: `api` or `worker`).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY providers ./providers
USER node
ENTRYPOINT ["npx", "tsx", "src/main.ts"]
CMD ["api"]
