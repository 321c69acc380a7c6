#!/usr/bin/env bash
# Everything the farm and its builds need on a Debian machine, in one place, shared by `npm start`,
# `npm test` and `.ci/run`:
#   1. the Debian packages (installed when run as root, else printed as the one apt-get line to run);
#   2. PostgreSQL and RabbitMQ, started if stopped;
#   3. the unprivileged build user that runs sbuild, with its subuid/subgid ranges;
#   4. the sbuild chroot tarballs (bookworm amd64 and i386, and an amd64 chroot ready to cross-build
#      for arm64), remade when older than a week.
#
#   tools/prerequisites.sh [--check]
#
# --check changes nothing: it prints what is missing with the command that fixes it and exits 1 if
# anything is. Run without it as root (or with sudo) to set everything up; it is idempotent and
# cheap when all is in place.
set -euo pipefail

BUILD_USER="${TSBIT_BUILD_USER:-tsbit-build}"
BUILD_HOME="${TSBIT_BUILD_HOME:-/var/lib/$BUILD_USER}"
# Far above the ranges useradd hands out by default (100000+), so that they never overlap.
SUBID_RANGE="${TSBIT_SUBID_RANGE:-200000-265535}"
SUITE="${TSBIT_CHROOT_SUITE:-bookworm}"
CHROOT_MAX_AGE_DAYS=7
SELF_DIR="$(cd "$(dirname "$0")" && pwd)"
MAKE_CHROOT="$SELF_DIR/../services/builder/scripts/make-chroot.sh"

PACKAGES=(
  # builds
  dpkg-dev debhelper fakeroot git rpm subversion devscripts lintian sbuild mmdebstrap uidmap
  arch-test qemu-user-static binfmt-support debian-keyring debian-archive-keyring
  # publishing and checking repositories, and running what was built for arm64 (qemu -L)
  gnupg apt-utils createrepo-c dnf file libc6-arm64-cross
)

check_only=false
[ "${1:-}" = "--check" ] && check_only=true
is_root() { [ "$(id -u)" = 0 ]; }
say() { echo "prerequisites: $*"; }
missing_anything=false
fix() { missing_anything=true; say "missing: $1"; say "  fix: $2"; }

host_arch="$(dpkg --print-architecture)"
# Which arches need which chroot (a file name in the build user's ~/.cache/sbuild).
chroots=("$SUITE-$host_arch.tar")
if [ "$host_arch" = amd64 ]; then
  chroots+=("$SUITE-i386.tar" "$SUITE-amd64-cross-arm64.tar")
fi

# 1. Debian packages
missing_packages=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing_packages+=("$package")
done
if [ ${#missing_packages[@]} -gt 0 ]; then
  if is_root && ! $check_only; then
    say "installing ${missing_packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  else
    fix "Debian packages ${missing_packages[*]}" "sudo apt-get install --no-install-recommends ${missing_packages[*]}"
  fi
fi

# 2. PostgreSQL and RabbitMQ (only those on this machine: a farm pointed elsewhere skips them)
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if is_root && ! $check_only; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  else
    fix "PostgreSQL is not running on 127.0.0.1:5432" "sudo pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
  fi
fi
# By its AMQP port: rabbitmq-diagnostics needs the broker's Erlang cookie, which only its own user
# and root can read.
amqp_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if command -v rabbitmq-server >/dev/null && ! amqp_open; then
  if is_root && ! $check_only; then
    say "starting RabbitMQ"
    rabbitmq-server -detached
    for _ in $(seq 1 60); do amqp_open && break; sleep 1; done
  else
    fix "RabbitMQ is not running on 127.0.0.1:5672" "sudo rabbitmq-server -detached"
  fi
fi

# 3. The build user. sbuild's unshare mode refuses root and maps the chroot's ids onto the user's
# subordinate ranges, so the user needs both ranges; it needs no other right.
has_subids() { grep -q "^$BUILD_USER:" /etc/subuid 2>/dev/null && grep -q "^$BUILD_USER:" /etc/subgid 2>/dev/null; }
if ! id "$BUILD_USER" >/dev/null 2>&1 || ! has_subids; then
  if is_root && ! $check_only; then
    if ! id "$BUILD_USER" >/dev/null 2>&1; then
      say "creating the build user $BUILD_USER"
      useradd --system --create-home --home-dir "$BUILD_HOME" --shell /bin/sh "$BUILD_USER"
    fi
    has_subids || usermod --add-subuids "$SUBID_RANGE" --add-subgids "$SUBID_RANGE" "$BUILD_USER"
  else
    fix "the build user $BUILD_USER with subuid/subgid ranges" "sudo tools/prerequisites.sh"
  fi
fi

# Run as a normal user, the farm runs its builder as that user, with the build user's chroots: that
# user needs subordinate ranges of its own. `sudo tools/prerequisites.sh` gives them to whoever ran sudo.
has_own_subids() { grep -q "^$1:" /etc/subuid 2>/dev/null && grep -q "^$1:" /etc/subgid 2>/dev/null; }
next_free_subids() {
  # The first 65536 ids above every range handed out so far.
  awk -F: '{ end = $2 + $3; if (end > top) top = end } END { start = (top > 200000 ? top : 300000); printf "%d-%d", start, start + 65535 }' /etc/subuid /etc/subgid
}
farm_user="$(id -un)"
is_root && farm_user="${SUDO_USER:-root}"
if [ "$farm_user" != root ] && [ "$farm_user" != "$BUILD_USER" ] && ! has_own_subids "$farm_user"; then
  if is_root && ! $check_only; then
    say "giving $farm_user subuid/subgid ranges for the builders it starts"
    range="$(next_free_subids)"
    usermod --add-subuids "$range" --add-subgids "$range" "$farm_user"
  else
    fix "subuid/subgid ranges for $farm_user, who runs the farm's builder (sbuild's unshare mode maps the chroot's ids onto them)" "sudo tools/prerequisites.sh"
  fi
fi

# 4. Chroots, made as the build user so that it owns them
if id "$BUILD_USER" >/dev/null 2>&1; then
  chroot_dir="$(getent passwd "$BUILD_USER" | cut -d: -f6)/.cache/sbuild"
  for name in "${chroots[@]}"; do
    tarball="$chroot_dir/$name"
    if [ -f "$tarball" ] && [ -z "$(find "$tarball" -mtime +"$CHROOT_MAX_AGE_DAYS" 2>/dev/null)" ]; then continue; fi
    arch="${name#"$SUITE"-}"
    arch="${arch%.tar}"
    cross=""
    case "$arch" in *-cross-*) cross="${arch#*-cross-}"; arch="${arch%%-cross-*}" ;; esac
    args=("$SUITE" "$arch")
    [ -n "$cross" ] && args+=(--cross "$cross")
    if is_root && ! $check_only; then
      say "making the chroot $tarball (takes about a minute)"
      # runuser from a directory the build user can read: mmdebstrap resolves the cwd.
      (cd / && runuser -u "$BUILD_USER" -- "$MAKE_CHROOT" "${args[@]}")
    elif [ "$(id -un)" = "$BUILD_USER" ] && ! $check_only; then
      "$MAKE_CHROOT" "${args[@]}"
    else
      fix "the sbuild chroot $tarball (missing or older than $CHROOT_MAX_AGE_DAYS days)" "sudo tools/prerequisites.sh   (or, as $BUILD_USER: services/builder/scripts/make-chroot.sh ${args[*]})"
    fi
  done
fi

if $missing_anything; then exit 1; fi
$check_only && say "everything is in place"
exit 0
