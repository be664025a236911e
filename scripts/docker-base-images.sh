#!/usr/bin/env bash
# Makes sure the base images named by docker/Dockerfile exist in the local engine.
#
# On a machine that can reach an image registry this only pulls the official
# images. Where no registry is reachable, it builds stand-ins instead: a Debian
# bookworm root filesystem made with `debootstrap --variant=minbase`, imported
# with `docker import` under the official tags, plus a copy of this machine's
# Node 20 install for the node tag. Images already present are left alone, so
# the script is safe to run again and again.
#
# Settings (environment):
#   DEBIAN_IMAGE          tag of the runtime base  (default debian:bookworm-slim)
#   NODE_IMAGE            tag of the build base    (default node:20-bookworm-slim)
#   BASE_ROOTFS_CACHE     where the debootstrap result is kept between runs
#                         (default /var/cache/edge-session-guard-rootfs)
#   DEBIAN_MIRROR         Debian mirror for debootstrap (default: the one apt uses)
#   PULL_TIMEOUT_SECONDS  how long one `docker pull` may take (default 30)
#   FORCE_STANDIN=1       replace the tags with fresh stand-ins even if present
set -euo pipefail

DEBIAN_IMAGE=${DEBIAN_IMAGE:-debian:bookworm-slim}
NODE_IMAGE=${NODE_IMAGE:-node:20-bookworm-slim}
BASE_ROOTFS_CACHE=${BASE_ROOTFS_CACHE:-/var/cache/edge-session-guard-rootfs}
PULL_TIMEOUT_SECONDS=${PULL_TIMEOUT_SECONDS:-30}
FORCE_STANDIN=${FORCE_STANDIN:-0}
SUITE=bookworm
NODE_MAJOR=20
BASE_ROOTFS_DIR="$BASE_ROOTFS_CACHE/$SUITE-minbase"
NODE_ROOTFS_DIR="$BASE_ROOTFS_CACHE/node$NODE_MAJOR-$SUITE"
READY_STAMP=.standin-rootfs-complete

log() { printf '[docker-base-images] %s\n' "$*" >&2; }
fail() {
  log "error: $*"
  exit 1
}

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Returns 0 when the tag is present locally or could be pulled in time.
ensure_official_image() {
  local tag=$1
  if [[ $FORCE_STANDIN == 1 ]]; then
    log "$tag: FORCE_STANDIN=1, building a stand-in"
    return 1
  fi
  if has_image "$tag"; then
    log "$tag: already present, nothing to do"
    return 0
  fi
  log "$tag: not present, trying docker pull (timeout ${PULL_TIMEOUT_SECONDS}s)"
  if timeout "$PULL_TIMEOUT_SECONDS" docker pull --quiet "$tag" >/dev/null 2>&1; then
    log "$tag: pulled from the registry"
    return 0
  fi
  log "$tag: pull failed (no registry reachable?), building a stand-in"
  return 1
}

# Prints the Debian mirror apt is configured with (first non-security "debian" URI).
find_debian_mirror() {
  if [[ -n ${DEBIAN_MIRROR:-} ]]; then
    printf '%s\n' "$DEBIAN_MIRROR"
    return
  fi
  local files=() uri
  shopt -s nullglob
  files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  uri=$(
    {
      # deb822 files: "URIs: http://host/debian"
      grep -hE '^[[:space:]]*URIs:' "${files[@]}" 2>/dev/null | sed -E 's/^[[:space:]]*URIs:[[:space:]]*//' | tr ' ' '\n'
      # one-line format: "deb [opts] http://host/debian bookworm main"
      grep -hE '^[[:space:]]*deb[[:space:]]' "${files[@]}" 2>/dev/null |
        sed -E 's/\[[^]]*\]//' | awk '{print $2}'
    } | grep -E '^https?://' | grep -E '/debian/?$' | grep -v security | head -n 1
  ) || true
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

install_debootstrap_if_missing() {
  command -v debootstrap >/dev/null 2>&1 && return
  [[ $(id -u) == 0 ]] || fail "debootstrap is missing; install it (apt-get install debootstrap) or run as root"
  log "installing debootstrap with apt-get"
  apt-get install -y debootstrap >/dev/null || { apt-get update >/dev/null && apt-get install -y debootstrap >/dev/null; }
}

# Creates (once) the cached minbase root filesystem, trimmed like the slim images.
ensure_base_rootfs() {
  if [[ -f $BASE_ROOTFS_DIR/$READY_STAMP ]]; then
    log "reusing cached root filesystem $BASE_ROOTFS_DIR"
    return
  fi
  [[ $(id -u) == 0 ]] || fail "building a root filesystem needs root (debootstrap and chroot)"
  install_debootstrap_if_missing
  local mirror work
  mirror=$(find_debian_mirror)
  work="$BASE_ROOTFS_DIR.partial"
  log "debootstrap --variant=minbase $SUITE from $mirror into $work (takes a few minutes once)"
  rm -rf "$work"
  mkdir -p "$BASE_ROOTFS_CACHE"
  debootstrap --variant=minbase "$SUITE" "$work" "$mirror" >"$BASE_ROOTFS_CACHE/debootstrap.log" 2>&1 ||
    fail "debootstrap failed; see $BASE_ROOTFS_CACHE/debootstrap.log"
  # Same idea as the official slim images: no package cache, lists, docs or man pages.
  rm -rf "$work"/var/cache/apt/archives/*.deb "$work"/var/lib/apt/lists/* \
    "$work"/usr/share/doc/* "$work"/usr/share/man/* "$work"/usr/share/info/* \
    "$work"/var/log/*.log "$work"/var/cache/debconf/*-old "$work"/etc/hostname
  # The engine provides these at run time; the build machine's values must not leak in.
  : >"$work/etc/resolv.conf"
  touch "$work/$READY_STAMP"
  rm -rf "$BASE_ROOTFS_DIR"
  mv "$work" "$BASE_ROOTFS_DIR"
  log "root filesystem ready: $(du -sh "$BASE_ROOTFS_DIR" | cut -f1)"
}

# Streams a directory to `docker import` as a single-layer image.
import_rootfs() {
  local dir=$1 tag=$2 message=$3
  shift 3
  local changes=()
  local change
  for change in "$@"; do changes+=(--change "$change"); done
  tar -C "$dir" --numeric-owner --exclude="./$READY_STAMP" -cf - . |
    docker import "${changes[@]}" --message "$message" - "$tag" >/dev/null
  log "$tag: imported stand-in ($(docker image inspect --format '{{.Size}}' "$tag" | numfmt --to=iec))"
}

build_debian_standin() {
  ensure_base_rootfs
  import_rootfs "$BASE_ROOTFS_DIR" "$DEBIAN_IMAGE" \
    "stand-in for $DEBIAN_IMAGE: debootstrap minbase $SUITE" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'CMD ["bash"]'
  docker run --rm --network none "$DEBIAN_IMAGE" cat /etc/debian_version >/dev/null ||
    fail "$DEBIAN_IMAGE stand-in does not start"
}

build_node_standin() {
  local node_bin node_version npm_cli modules_dir
  node_bin=$(command -v node) || fail "node is not installed on this machine; cannot build a $NODE_IMAGE stand-in"
  node_bin=$(readlink -f "$node_bin")
  node_version=$("$node_bin" --version)
  [[ $node_version == v$NODE_MAJOR.* ]] ||
    fail "this machine has node $node_version, but $NODE_IMAGE needs Node $NODE_MAJOR"
  npm_cli=$(readlink -f "$(command -v npm)") || fail "npm is not installed on this machine"
  # .../lib/node_modules/npm/bin/npm-cli.js -> .../lib/node_modules
  modules_dir=$(dirname "$(dirname "$(dirname "$npm_cli")")")
  [[ -d $modules_dir/npm ]] || fail "cannot find npm's lib/node_modules next to $npm_cli"

  ensure_base_rootfs
  log "copying node $node_version ($node_bin) and $modules_dir into $NODE_ROOTFS_DIR"
  rm -rf "$NODE_ROOTFS_DIR"
  cp -a "$BASE_ROOTFS_DIR" "$NODE_ROOTFS_DIR"
  # Laid out like the official node images: everything under /usr/local.
  install -D -m 0755 "$node_bin" "$NODE_ROOTFS_DIR/usr/local/bin/node"
  mkdir -p "$NODE_ROOTFS_DIR/usr/local/lib"
  cp -a "$modules_dir" "$NODE_ROOTFS_DIR/usr/local/lib/node_modules"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$NODE_ROOTFS_DIR/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$NODE_ROOTFS_DIR/usr/local/bin/npx"
  if [[ -d $modules_dir/corepack ]]; then
    ln -sf ../lib/node_modules/corepack/dist/corepack.js "$NODE_ROOTFS_DIR/usr/local/bin/corepack"
  fi
  # This machine may reach the npm registry through a TLS proxy whose CA is
  # trusted via NODE_EXTRA_CA_CERTS and npm's `cafile`. Mirror both in the
  # stand-in, or `npm ci` inside a build fails on TLS. Official images need none.
  local extra_ca="" cafile=""
  if [[ -n ${NODE_EXTRA_CA_CERTS:-} && -f $NODE_EXTRA_CA_CERTS ]]; then
    extra_ca=$NODE_EXTRA_CA_CERTS
    log "copying NODE_EXTRA_CA_CERTS ($extra_ca) into the node stand-in"
    install -D -m 0644 "$extra_ca" "$NODE_ROOTFS_DIR$extra_ca"
  fi
  cafile=$(npm config get cafile 2>/dev/null || true)
  if [[ -n $cafile && $cafile != null && $cafile != undefined && -f $cafile ]]; then
    log "copying npm's cafile ($cafile) into the node stand-in"
    install -D -m 0644 "$cafile" "$NODE_ROOTFS_DIR$cafile"
    mkdir -p "$NODE_ROOTFS_DIR/usr/local/etc"
    printf 'cafile=%s\n' "$cafile" >"$NODE_ROOTFS_DIR/usr/local/etc/npmrc"
  fi
  # The official images ship a "node" user (uid 1000); Dockerfiles may rely on it.
  chroot "$NODE_ROOTFS_DIR" groupadd --gid 1000 node
  chroot "$NODE_ROOTFS_DIR" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$NODE_ROOTFS_DIR" /usr/local/bin/node --version >/dev/null ||
    fail "the copied node binary does not run on $SUITE minbase (missing shared libraries?)"

  import_rootfs "$NODE_ROOTFS_DIR" "$NODE_IMAGE" \
    "stand-in for $NODE_IMAGE: debootstrap minbase $SUITE + node $node_version from the build machine" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "ENV NODE_VERSION=${node_version#v}" \
    ${extra_ca:+"ENV NODE_EXTRA_CA_CERTS=$extra_ca"} \
    'CMD ["node"]'
  rm -rf "$NODE_ROOTFS_DIR"
  docker run --rm --network none "$NODE_IMAGE" sh -c 'node --version && npm --version' >/dev/null ||
    fail "$NODE_IMAGE stand-in cannot run node and npm"
}

main() {
  command -v docker >/dev/null 2>&1 || fail "docker CLI not found"
  docker info >/dev/null 2>&1 || fail "no Docker engine is reachable (is dockerd running?)"
  ensure_official_image "$DEBIAN_IMAGE" || build_debian_standin
  ensure_official_image "$NODE_IMAGE" || build_node_standin
  log "base images ready: $DEBIAN_IMAGE, $NODE_IMAGE"
}

main "$@"
