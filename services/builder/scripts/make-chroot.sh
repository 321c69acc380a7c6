#!/bin/sh
# Makes a chroot tarball that the sbuild back end unpacks for every build, in
# ${TSBIT_CHROOT_DIR:-~/.cache/sbuild}:
#
#   services/builder/scripts/make-chroot.sh [suite] [arch] [--cross host-arch] [--mirror URL]
#
#   <suite>-<arch>.tar                   a minimal buildd system (i386 on amd64 too: it runs natively)
#   <suite>-<arch>-cross-<host>.tar      the same with <host> as a foreign architecture and
#                                        crossbuild-essential-<host> installed, for sbuild --host=<host>
#
# Run it as the unprivileged user the builder runs as (tools/prerequisites.sh does, as the build
# user). sbuild's unshare mode needs that user to have subordinate id ranges in /etc/subuid and
# /etc/subgid, and the packages sbuild, mmdebstrap and uidmap. Remake it weekly (prerequisites.sh
# does when it is older than a week) so that builds start from up-to-date packages.
set -eu

suite="${1:-bookworm}"
arch="${2:-$(dpkg --print-architecture)}"
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
cross=""
mirror="http://deb.debian.org/debian"
while [ $# -gt 0 ]; do
  case "$1" in
    --cross) cross="$2"; shift 2 ;;
    --mirror) mirror="$2"; shift 2 ;;
    *) echo "make-chroot: unknown argument $1" >&2; exit 2 ;;
  esac
done

dir="${TSBIT_CHROOT_DIR:-$HOME/.cache/sbuild}"
name="$suite-$arch"
[ -n "$cross" ] && name="$name-cross-$cross"
target="$dir/$name.tar"

for tool in mmdebstrap sbuild; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make-chroot: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
if [ "$(id -u)" = 0 ]; then
  echo "make-chroot: run this as the build user, not root (sbuild's unshare mode refuses root)" >&2
  exit 1
fi

# The first architecture is the chroot's native one; a cross chroot adds the host as foreign.
set -- --format=tar --variant=buildd --mode=unshare --include=ca-certificates
if [ -n "$cross" ]; then
  set -- "$@" --architectures="$arch,$cross" --include="crossbuild-essential-$cross,libc6-dev:$cross"
else
  set -- "$@" --architectures="$arch"
fi

mkdir -p "$dir"
# Written beside the target and renamed, so that a build never unpacks a half-written tarball.
mmdebstrap "$@" "$suite" "$target.new" "$mirror"
mv "$target.new" "$target"
echo "make-chroot: $target is ready"
