#!/usr/bin/env bash
# A single-node Ceph RGW (a real S3 implementation) on 127.0.0.1 for tests, all state in one folder.
#
#   rgw.sh start <state-dir>   installs Ceph with apt-get if radosgw is missing (as root), starts one
#                              monitor, one memstore OSD and one radosgw, creates a test user, waits
#                              for S3 to answer (bounded), and prints KEY=VALUE lines on stdout:
#                              CKPT_TEST_S3_ENDPOINT, CKPT_TEST_S3_ACCESS_KEY, CKPT_TEST_S3_SECRET_KEY,
#                              CKPT_TEST_S3_REGION. Everything else goes to stderr or <state-dir>/log.
#   rgw.sh stop <state-dir>    stops the daemons by their pid files, waits for them, removes the state.
#
# Why each setting is there: see /docs of the project and test-servers.md (crc ms modes, or radosgw
# loops on auth; tcp_nodelay, or every response with a body takes ~45 ms; pre-created pools, or the
# first CreateBucket/PutObject stall ~2 s each). Daemons are stopped by pid, never by name, so other
# Ceph processes on the machine are left alone.
#
# Environment: CKPT_RGW_TIMEOUT (seconds to wait for health, default 90), CKPT_RGW_MEMSTORE_BYTES
# (RAM cap of the OSD, default 8 GiB: the test command runs the suite once per Node against one RGW, and RGW frees deleted objects only after its garbage-collection delay), CKPT_RGW_PORT (fixed S3 port instead of a free one).
set -euo pipefail

ACCESS_KEY=CKPTTESTACCESSKEY0001
SECRET_KEY=ckpt-test-secret-key-0000000000000000001
REGION=us-east-1
RGW_NAME=client.rgw.ckpt
TIMEOUT=${CKPT_RGW_TIMEOUT:-90}
MEMSTORE_BYTES=${CKPT_RGW_MEMSTORE_BYTES:-8589934592}

T0=$(date +%s.%N)
log() { printf '[rgw %5.1fs] %s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$*" >&2; }
die() {
  log "error: $*"
  if [[ -n ${STATE:-} && -d ${STATE:-/nonexistent}/log ]]; then
    for f in "$STATE"/log/*; do
      [[ -s $f ]] || continue
      printf '[rgw] --- last lines of %s ---\n' "$f" >&2
      tail -n 20 "$f" >&2 || true
    done
  fi
  # A start that fails half-way leaves nothing running.
  [[ ${CMD:-} == start ]] && stop_daemons
  exit 1
}

usage() {
  echo "usage: $0 start|stop <state-dir>" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
CMD=$1
mkdir -p "$2"
STATE=$(cd "$2" && pwd)
CONF=$STATE/ceph.conf

# Seconds since an arbitrary point, with sub-second precision, for timings in the log.
now() { date +%s.%N; }

port_free() {
  # Nothing listens on 127.0.0.1:$1 (bash's /dev/tcp; no extra tools needed).
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The range free ports are picked from: below (or above) the kernel's ephemeral range. A port picked
# inside it can be taken by any outgoing connection (the Ceph daemons and the ceph CLI open dozens)
# in the seconds between the pick and radosgw's bind; CI saw exactly that ("failed to bind address
# ... Address already in use", then a 90 s wait for a radosgw that had exited).
port_range() {
  local lo hi
  if read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && [[ -n ${hi:-} ]]; then
    if ((lo > 12000)); then
      echo "10000 $((lo - 1))"
      return 0
    elif ((hi < 63000)); then
      echo "$((hi + 1)) 65000"
      return 0
    fi
  fi
  echo "20000 32000"
}

free_port() {
  local p i lo hi
  read -r lo hi <<<"$(port_range)"
  for i in $(seq 1 200); do
    p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
    if port_free "$p"; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found in $lo-$hi"
}

# Stops the daemons recorded in the state dir: TERM, wait up to 20 s, then KILL.
stop_daemons() {
  local pids=() f pid i
  shopt -s nullglob
  for f in "$STATE"/run/*.pid; do
    pid=$(tr -dc '0-9' <"$f" || true)
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && pids+=("$pid")
  done
  shopt -u nullglob
  [[ ${#pids[@]} -gt 0 ]] || return 0
  log "stopping pids ${pids[*]}"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for i in $(seq 1 40); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && return 0
    sleep 0.5
  done
  log "daemons still alive after 20 s; sending KILL"
  kill -KILL "${pids[@]}" 2>/dev/null || true
  sleep 0.5
}

install_ceph() {
  if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && command -v radosgw-admin >/dev/null; then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    die "radosgw, ceph-mon and ceph-osd are not installed and this is not root; install them with: sudo apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd"
  fi
  command -v apt-get >/dev/null || die "radosgw is missing and apt-get is not available (Debian/Ubuntu needed)"
  local t0
  t0=$(now)
  log "installing radosgw ceph-mon ceph-osd with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  local attempt
  for attempt in 1 2 3; do
    apt-get -o DPkg::Lock::Timeout=300 update -q >&2 </dev/null && break
    [[ $attempt -lt 3 ]] || die "apt-get update failed"
    sleep 5
  done
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends radosgw ceph-mon ceph-osd >&2 </dev/null || die "apt-get install failed"
  log "installed in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
}

# The HTTP status of a GET, with curl when there is one, else with bash's /dev/tcp (a bare Debian
# image has no curl).
http_status() {
  local port=$1 line
  if command -v curl >/dev/null; then
    curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null || true
    return 0
  fi
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 0
    printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    IFS= read -r -t 5 line <&3 || true
    set -- $line
    printf '%s' "${2:-}"
  ) 2>/dev/null || true
}

ceph_cli() {
  # --connect-timeout bounds each call; the cluster is local so a healthy one answers at once.
  timeout 30 ceph -c "$CONF" --connect-timeout 10 "$@" </dev/null
}

write_conf() {
  local fsid=$1 mon_port=$2 rgw_port=$3
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
mon initial members = a
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc
run dir = $STATE/run
pid file = $STATE/run/\$name.pid
admin socket = $STATE/run/\$name.asok
log file = $STATE/log/\$name.log
log to stderr = false
err to stderr = false
log to syslog = false
crash dir = $STATE/crash
keyring = $STATE/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
mon max pg per osd = 1000
# Map updates are proposed after this long (default 1 s); each pool creation waits for one.
paxos propose interval = 0.05
paxos min wait = 0.01
mgr initial modules =

[mon.a]
mon data = $STATE/mon

[osd.0]
osd data = $STATE/osd
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd max object name len = 2048
osd max object namespace len = 256

[$RGW_NAME]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw data = $STATE/rgw
rgw enable usage log = false
rgw dns name = localhost
rgw thread pool size = 128
EOF
}

launch_radosgw() {
  log "radosgw on 127.0.0.1:$1"
  radosgw -c "$CONF" -n "$RGW_NAME" >>"$STATE/log/rgw.out" 2>&1 </dev/null || die "radosgw did not start"
}

# Waits until radosgw answers 200 on port $1; returns 1 (at once) when its log says the port could
# not be bound; dies at deadline $2 or when radosgw exited for another reason.
wait_for_radosgw() {
  local port=$1 deadline=$2 code rpid log=$STATE/log/$RGW_NAME.log
  until code=$(http_status "$port") && [[ $code == 200 ]]; do
    if grep -qE 'failed to bind address|failed initializing frontend' "$log" 2>/dev/null; then
      # The daemon exits after this; wait for it so the next launch does not race its shutdown.
      rpid=$(tr -dc '0-9' 2>/dev/null <"$STATE/run/$RGW_NAME.pid" || true)
      if [[ -n $rpid ]]; then
        local i
        for i in $(seq 1 40); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "$rpid" 2>/dev/null || true
      fi
      return 1
    fi
    [[ $(date +%s) -lt $deadline ]] || die "radosgw did not answer on http://127.0.0.1:$port within ${TIMEOUT} s (last status: ${code:-none})"
    rpid=$(tr -dc '0-9' 2>/dev/null <"$STATE/run/$RGW_NAME.pid" || true)
    if [[ -n $rpid ]] && ! kill -0 "$rpid" 2>/dev/null; then die "radosgw exited"; fi
    sleep 0.3
  done
}

start() {
  local t0 fsid mon_port rgw_port osd_uuid endpoint code deadline
  t0=$(now)
  install_ceph
  # Everything from here to a healthy S3 endpoint must fit in TIMEOUT seconds.
  deadline=$(($(date +%s) + TIMEOUT))

  # A previous run that died without stopping: stop what it left (by pid) and start clean.
  stop_daemons
  rm -rf "${STATE:?}"/{mon,osd,rgw,run,log,crash,ceph.conf,keyring,monmap,endpoint}
  mkdir -p "$STATE"/{mon,osd,rgw,run,log,crash}

  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(free_port)
  rgw_port=${CKPT_RGW_PORT:-$(free_port)}
  [[ $rgw_port != "$mon_port" ]] || rgw_port=$(free_port)
  write_conf "$fsid" "$mon_port" "$rgw_port"
  : >"$STATE/keyring"

  log "monitor on 127.0.0.1:$mon_port"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$STATE/monmap" >>"$STATE/log/setup.log" 2>&1 </dev/null ||
    die "monmaptool failed"
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE/monmap" >>"$STATE/log/setup.log" 2>&1 </dev/null || die "ceph-mon --mkfs failed"
  # The daemons fork into the background themselves and write their pid files; their stdio goes to
  # log files so nothing keeps the caller's pipe open.
  ceph-mon -c "$CONF" -i a >>"$STATE/log/mon.out" 2>&1 </dev/null || die "ceph-mon did not start"

  until ceph_cli mon stat >>"$STATE/log/setup.log" 2>&1; do
    [[ $(date +%s) -lt $deadline ]] || die "the monitor did not answer within ${TIMEOUT} s"
    sleep 0.5
  done

  log "monitor up; osd (memstore, $MEMSTORE_BYTES bytes)"
  ceph_cli osd create "$osd_uuid" >>"$STATE/log/setup.log" 2>&1 || die "ceph osd create failed"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$STATE/log/setup.log" 2>&1 </dev/null || die "ceph-osd --mkfs failed"
  ceph-osd -c "$CONF" -i 0 >>"$STATE/log/osd.out" 2>&1 </dev/null || die "ceph-osd did not start"

  log "osd started"
  # RGW creates its other pools itself; without these the first CreateBucket/PutObject stall ~2 s.
  # One `ceph` process reads all the commands (each process costs a Python start-up, ~0.5-1.5 s).
  local pool pools=(.rgw.root default.rgw.control default.rgw.meta default.rgw.log default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec)
  for pool in "${pools[@]}"; do
    printf 'osd pool create %s 8 8\nosd pool application enable %s rgw\n' "$pool" "$pool"
  done | timeout 60 ceph -c "$CONF" --connect-timeout 10 >>"$STATE/log/setup.log" 2>&1 || die "cannot create the pools"
  log "pools created"
  local existing
  existing=$(ceph_cli osd pool ls 2>>"$STATE/log/setup.log") || die "cannot list the pools"
  for pool in "${pools[@]}"; do
    grep -qxF "$pool" <<<"$existing" || die "pool $pool was not created"
  done

  launch_radosgw "$rgw_port"

  # The user is created through RADOS directly; this also waits for the OSD to serve I/O.
  until timeout 30 radosgw-admin -c "$CONF" user create --uid=ckpt-test --display-name="ckptkit tests" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >>"$STATE/log/setup.log" 2>&1 </dev/null; do
    [[ $(date +%s) -lt $deadline ]] || die "could not create the test user within ${TIMEOUT} s"
    sleep 1
  done
  log "test user created"

  # A port taken between the pick and the bind makes radosgw exit at once: pick another and
  # relaunch it (a fixed CKPT_RGW_PORT is the caller's to free, so that fails at once instead).
  local attempt=1
  until wait_for_radosgw "$rgw_port" "$deadline"; do
    [[ -z ${CKPT_RGW_PORT:-} ]] || die "radosgw could not bind 127.0.0.1:$rgw_port (CKPT_RGW_PORT): the port is in use"
    ((attempt < 5)) || die "radosgw could not bind a port in $attempt attempts"
    mv "$STATE/log/$RGW_NAME.log" "$STATE/log/$RGW_NAME.attempt$attempt.log" 2>/dev/null || true
    attempt=$((attempt + 1))
    local taken=$rgw_port
    rgw_port=$(free_port)
    log "127.0.0.1:$taken was taken before radosgw bound it; attempt $attempt on $rgw_port"
    sed -i "s|^rgw frontends = .*|rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1|" "$CONF"
    launch_radosgw "$rgw_port"
  done
  endpoint="http://127.0.0.1:$rgw_port"
  echo "$endpoint" >"$STATE/endpoint"
  log "up at $endpoint in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s (state in $STATE)"

  echo "CKPT_TEST_S3_ENDPOINT=$endpoint"
  echo "CKPT_TEST_S3_ACCESS_KEY=$ACCESS_KEY"
  echo "CKPT_TEST_S3_SECRET_KEY=$SECRET_KEY"
  echo "CKPT_TEST_S3_REGION=$REGION"
}

stop() {
  stop_daemons
  rm -rf "${STATE:?}"/{mon,osd,rgw,run,log,crash,ceph.conf,keyring,monmap,endpoint}
  rmdir "$STATE" 2>/dev/null || true
}

case $CMD in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
