#!/usr/bin/env bash
# Builds stand-ins for the public base images when no registry is reachable (CI has none):
#   storefront-ci/node:20   the machine's own Node.js and npm, FROM scratch
#   storefront-ci/redis:7   Debian's redis-server and redis-cli, FROM scratch
# Both get busybox for /bin/sh. The product's Dockerfile and compose file are unchanged: CI passes
# these as NODE_IMAGE and REDIS_IMAGE.
set -euo pipefail

NODE_TAG=${NODE_TAG:-storefront-ci/node:20}
REDIS_TAG=${REDIS_TAG:-storefront-ci/redis:7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

need() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# Copies a binary and every library ldd lists for it into the root at $1.
copy_with_libs() {
  local root=$1 binary=$2 name=${3:-$(basename "$2")} dest_dir=${4:-/usr/bin}
  mkdir -p "$root$dest_dir"
  cp -L "$binary" "$root$dest_dir/$name"
  ldd "$binary" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

add_busybox() {
  local root=$1
  (cd "$work" && apt-get download busybox-static >/dev/null 2>&1 && dpkg-deb -x busybox-static_*.deb "$work/busybox")
  mkdir -p "$root/bin" "$root/usr/bin" "$root/usr/sbin" "$root/sbin" "$root/tmp" "$root/etc"
  cp "$work/busybox/bin/busybox" "$root/bin/busybox"
  chmod 1777 "$root/tmp"
}

need busybox-static ca-certificates
[ -d "$work/busybox" ] || true

# --- node ---------------------------------------------------------------------------------------
node_root=$work/node-root
copy_with_libs "$node_root" "$(command -v node)" node /usr/local/bin
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
mkdir -p "$node_root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$node_root/usr/local/lib/node_modules/npm"
# Native addons (Nx's own among them) link a few glibc libraries that node itself does not.
for lib in libutil.so.1 libdl.so.2 librt.so.1 libpthread.so.0 libresolv.so.2 libnss_dns.so.2 libnss_files.so.2; do
  # awk reads to the end: exiting early could kill ldconfig with SIGPIPE, which pipefail and set -e
  # turn into a silent exit of this script (seen once in CI).
  path=$(ldconfig -p | awk -v lib="$lib" '$1 == lib && /x86-64/ && !found { print $NF; found = 1 }')
  if [ -n "$path" ]; then mkdir -p "$node_root$(dirname "$path")" && cp -L "$path" "$node_root$path"; fi
done
add_busybox "$node_root"
mkdir -p "$node_root/etc/ssl/certs" "$node_root/home/node"
cp /etc/ssl/certs/ca-certificates.crt "$node_root/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' >"$node_root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$node_root/etc/group"
cat >"$work/node.Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY node-root/ /
RUN ["/bin/busybox", "--install", "-s"]
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s /usr/local/lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && chown node:node /home/node
ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    HOME=/root
DOCKERFILE
docker build -q -t "$NODE_TAG" -f "$work/node.Dockerfile" "$work" >/dev/null
echo "built $NODE_TAG ($(docker image inspect -f '{{.Size}}' "$NODE_TAG" | awk '{printf "%.0f MB", $1/1e6}'))"

# --- redis --------------------------------------------------------------------------------------
redis_root=$work/redis-root
# /usr/bin/redis-server is a symlink to redis-check-rdb and picks its mode from its own name.
copy_with_libs "$redis_root" "$(readlink -f "$(command -v redis-server)")" redis-server
copy_with_libs "$redis_root" "$(command -v redis-cli)" redis-cli
add_busybox "$redis_root"
mkdir -p "$redis_root/data"
cat >"$redis_root/usr/bin/docker-entrypoint.sh" <<'ENTRY'
#!/bin/sh
# Like the official image: no password means no protected mode, so other containers may connect.
if [ "$1" = "redis-server" ]; then shift; exec redis-server "$@" --protected-mode no; fi
exec "$@"
ENTRY
chmod +x "$redis_root/usr/bin/docker-entrypoint.sh"
cat >"$work/redis.Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY redis-root/ /
RUN ["/bin/busybox", "--install", "-s"]
ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["/usr/bin/docker-entrypoint.sh"]
CMD ["redis-server"]
DOCKERFILE
docker build -q -t "$REDIS_TAG" -f "$work/redis.Dockerfile" "$work" >/dev/null
echo "built $REDIS_TAG ($(docker image inspect -f '{{.Size}}' "$REDIS_TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
