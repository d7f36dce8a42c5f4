#!/usr/bin/env bash
# Installs the C++ maps that threadmap's benchmarks compare against.
# They are optional: nothing in the build or the tests needs them, and every
# benchmark skips (and says so) what is missing. Debian 12 (bookworm), as root.
#   libtbb-dev        oneTBB concurrent_hash_map
#   libcuckoo-dev     libcuckoo cuckoohash_map
#   libboost1.83-dev  boost::concurrent_flat_map (bookworm-backports)
#   libcds-dev        libcds FeldmanHashMap / SplitListMap
#   liburcu-dev       liburcu cds_lfht
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
fi
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libtbb-dev libcuckoo-dev libcds-dev liburcu-dev
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t bookworm-backports libboost1.83-dev
