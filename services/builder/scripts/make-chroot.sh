#!/bin/sh
# Makes the chroot tarball that the sbuild back end (TSBIT_BUILDER_BACKEND=sbuild) unpacks for
# every build: ~/.cache/sbuild/<suite>-<arch>.tar, a minimal buildd system made by mmdebstrap.
#
#   services/builder/scripts/make-chroot.sh [suite] [arch] [mirror]
#
# Run it as the (unprivileged) user the builder runs as. sbuild's unshare mode needs that user to
# have subordinate id ranges in /etc/subuid and /etc/subgid (e.g. `usermod --add-subuids
# 100000-165535 --add-subgids 100000-165535 tsbit`), and the packages sbuild, mmdebstrap and uidmap.
# Re-run it now and then (e.g. weekly) so that builds start from up-to-date packages.
set -eu

suite="${1:-bookworm}"
arch="${2:-$(dpkg --print-architecture)}"
mirror="${3:-http://deb.debian.org/debian}"
target="${HOME}/.cache/sbuild/${suite}-${arch}.tar"

for tool in mmdebstrap sbuild; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make-chroot: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done

mkdir -p "$(dirname "$target")"
# Written beside the target and renamed, so that a build never unpacks a half-written tarball.
mmdebstrap --format=tar --variant=buildd --arch="$arch" --include=ca-certificates \
  "$suite" "$target.new" "$mirror"
mv "$target.new" "$target"
echo "make-chroot: $target is ready"
