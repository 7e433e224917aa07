# One image for the gateway, the parties and the one-off init step of compose.yaml.
# Untested here: Docker does not run on the machine these files were written on (docs/operations.md).
FROM node:20-bookworm

WORKDIR /app

# Dependencies first, so that code changes do not reinstall them. The full node:20-bookworm image
# has make, g++ and python3, for better-sqlite3 when no prebuilt binary applies.
COPY package.json package-lock.json ./
RUN npm ci

# Only what the processes run. tsx compiles the TypeScript at start.
COPY tsconfig.json ./
COPY protocols ./protocols
COPY policies ./policies
COPY services ./services

# Data folders, owned by the unprivileged user. A new named volume mounted on one of these
# takes its owner and mode from the image.
RUN mkdir -p /data/gateway /data/party-1 /data/party-2 /data/party-3 \
 && chown -R node:node /data \
 && chmod 700 /data/gateway /data/party-1 /data/party-2 /data/party-3
USER node

# Inside a container the gateway (and each party's metrics server) must listen on every interface.
ENV TUTTI_HOST=0.0.0.0
EXPOSE 4599

CMD ["node", "--import", "tsx", "services/main/cli.ts"]
