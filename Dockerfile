# One image for the gateway, the parties and the one-off init step of compose.yaml.
# tests/e2e/compose.slow.test.ts builds and runs it when a Docker engine is available (docs/operations.md "Containers").
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
RUN mkdir -p /data/gateway /data/party-1 /data/party-2 /data/party-3 /data/ca-private /data/ca \
 && chown -R node:node /data \
 && chmod 700 /data/gateway /data/party-1 /data/party-2 /data/party-3 /data/ca-private
USER node

# Inside a container the gateway (and each party's metrics server) must listen on every interface;
# the gateway then requires TLS (--tls-cert/--tls-key or TUTTI_TLS_CERT/TUTTI_TLS_KEY).
ENV TUTTI_HOST=0.0.0.0
# SIGTERM (docker stop) is a graceful stop: requests and sessions in flight finish first.
STOPSIGNAL SIGTERM
EXPOSE 4599

CMD ["node", "--import", "tsx", "services/main/cli.ts"]
