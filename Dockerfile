# One image per service: docker build --build-arg SERVICE=job-intake -t tsbit/job-intake .
# (No Docker engine on the development machine; the Tiltfile and CI of a cluster build these.)
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs libs
COPY services services
RUN npm ci --no-audit --no-fund
COPY . .
ARG SERVICE
RUN npx nx run ${SERVICE}:build

FROM node:20-bookworm-slim
ARG SERVICE
# The builder image carries the build tools; the others need none.
RUN if [ "$SERVICE" = builder ]; then \
      apt-get update && apt-get install -y --no-install-recommends \
        git subversion dpkg-dev debhelper fakeroot devscripts sbuild mmdebstrap uidmap rpm ca-certificates \
      && rm -rf /var/lib/apt/lists/* && useradd --create-home --uid 1000 builder \
      && echo 'builder:100000:65536' > /etc/subuid && echo 'builder:100000:65536' > /etc/subgid; \
    fi
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist/services/${SERVICE} dist/services/${SERVICE}
ENV SERVICE_ENTRY=dist/services/${SERVICE}/main.js
USER 1000
CMD ["sh", "-c", "exec node $SERVICE_ENTRY"]
