# The gateway image used by docker-compose.yml. node:22 brings Node 22, so the `node` dev
# dependency is not needed inside the image.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY . .
USER node
EXPOSE 4000
CMD ["npm", "start"]
