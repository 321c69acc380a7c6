# The images of tsbit: one Dockerfile, one target per kind of image, each tagged with the chart's
# appVersion (charts/tsbit/Chart.yaml):
#
#   docker build --target service  --build-arg SERVICE=job-intake -t tsbit/job-intake:0.1.0 .
#   docker build --target service  --build-arg SERVICE=scheduler  -t tsbit/scheduler:0.1.0 .
#   docker build --target service  --build-arg SERVICE=projection -t tsbit/projection:0.1.0 .
#   docker build --target artifact --build-arg SERVICE=artifact   -t tsbit/artifact:0.1.0 .
#   docker build --target builder  --build-arg SERVICE=builder    -t tsbit/builder:0.1.0 .
#
# There is no Docker engine on the development machine; the Tiltfile and a cluster's CI build these.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The whole workspace (less what .dockerignore drops): npm ci needs every workspace the lockfile names.
COPY . .
RUN npm ci --no-audit --no-fund
ARG SERVICE
RUN test -n "${SERVICE}" || { echo 'build with --build-arg SERVICE=<job-intake|scheduler|projection|artifact|builder>' >&2; exit 1; } \
    && NX_DAEMON=false npx nx run "${SERVICE}:build" \
    && npm prune --omit=dev --no-audit --no-fund

# What every service image shares: Node, the production dependencies and the service's bundle.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ARG SERVICE
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist/services/${SERVICE} dist/services/${SERVICE}
ENV SERVICE_ENTRY=dist/services/${SERVICE}/main.js
CMD ["sh", "-c", "exec node \"$SERVICE_ENTRY\""]

# job-intake, scheduler and projection need nothing but Node. They run as the base image's `node`
# user (uid 1000).
FROM runtime AS service
USER 1000

# The artifact service signs repositories (gpg) and indexes them (createrepo_c for YUM, dpkg-deb
# and rpm to read packages' control data, xz for the compressed indices).
FROM runtime AS artifact
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends gnupg gpg-agent createrepo-c rpm xz-utils ca-certificates \
    && rm -rf /var/lib/apt/lists/*
USER 1000

# The builder: sbuild in unshare mode (the default back end), rpmbuild, and what sources need.
FROM runtime AS builder
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        sbuild mmdebstrap uidmap qemu-user-static arch-test \
        git subversion dpkg-dev debhelper fakeroot devscripts rpm lintian \
        debian-keyring debian-archive-keyring ca-certificates gnupg libcap2-bin \
    && rm -rf /var/lib/apt/lists/*
# The build user. Not the base image's `node` (uid 1000), so that a build never shares an id with
# the other images' processes; the chart runs the pod as this uid (builder.securityContext).
# Its subordinate ids are the ones tools/prerequisites.sh gives it on a developer machine: sbuild's
# unshare mode maps the chroot's 65536 ids onto them.
ARG BUILD_UID=2000
RUN groupadd --gid "${BUILD_UID}" tsbit-build \
    && useradd --uid "${BUILD_UID}" --gid tsbit-build --create-home --home-dir /var/lib/tsbit-build --shell /bin/sh tsbit-build \
    && echo 'tsbit-build:200000:65536' > /etc/subuid \
    && echo 'tsbit-build:200000:65536' > /etc/subgid \
    && install -d -o tsbit-build -g tsbit-build /var/lib/tsbit-build/.cache/sbuild /var/lib/tsbit/builds
# newuidmap/newgidmap with file capabilities instead of setuid root, and no setuid program left:
# Debian's setuid-root newuidmap opens /proc/<pid>/uid_map as root, which is not the new
# namespace's owner, so it would need CAP_DAC_OVERRIDE and CAP_SYS_ADMIN in the pod's bounding set.
# With cap_setuid/cap_setgid on the files it runs as the build user and needs only CAP_SETUID
# (newuidmap) and CAP_SETGID (newgidmap): the pod adds exactly those two (charts/tsbit/README.md).
RUN find / -xdev -type f -perm /6000 -exec chmod ug-s {} + \
    && setcap cap_setuid=ep /usr/bin/newuidmap \
    && setcap cap_setgid=ep /usr/bin/newgidmap
# A pod's /proc is masked by the container runtime (procMount: Default), and the kernel refuses a
# fresh proc mount inside a user namespace while another proc mount is partly hidden, so sbuild's
# own `mount -t proc` fails there and the build would run without /proc. Bind-mounting the pod's
# /proc first gives the build one (mmdebstrap falls back to the same by itself). Where a fresh
# proc mount works, sbuild's mount lands on top of the bind and nothing changes.
RUN sed -i '$d' /etc/sbuild/sbuild.conf \
    && printf '%s\n' \
        '# tsbit (Dockerfile): see the comment there.' \
        '$unshare_bind_mounts = [ { directory => "/proc", mountpoint => "/proc" } ];' \
        '1;' >> /etc/sbuild/sbuild.conf
COPY services/builder/scripts/make-chroot.sh /app/services/builder/scripts/make-chroot.sh
ENV HOME=/var/lib/tsbit-build \
    TSBIT_BUILDER_BACKEND=sbuild \
    TSBIT_CHROOT_DIR=/var/lib/tsbit-build/.cache/sbuild \
    TSBIT_BUILDER_WORKDIR=/var/lib/tsbit/builds
USER ${BUILD_UID}
