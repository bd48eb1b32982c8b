# The gateway image used by docker-compose.yml. node:22 brings Node 22, so the `node` dev
# dependency is not needed inside the image.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY . .
USER node
EXPOSE 4000
# node itself is the container's main process (no npm, no shell in between), so `docker stop`'s
# SIGTERM reaches the gateway, which drains and exits 0 (test/io/signals.test.ts runs this CMD).
CMD ["node", "src/main.ts"]
