#!/usr/bin/env bash
# Start and stop a single-node KRaft Kafka (combined broker + controller) on
# free loopback ports, for ksetl's integration tests. Needs Java 17+, Maven and
# Node (for picking free ports); no Docker, no Kafka download: the broker's
# jars come from Maven Central through pom.xml beside this script.
#
#   kafka.sh start     [--version V] [--dir DIR]  prints the bootstrap address
#   kafka.sh stop      [--dir DIR]
#   kafka.sh classpath [--version V]               resolves and prints the cache file
#   kafka.sh status    [--dir DIR]
#
# Environment:
#   KSETL_KAFKA_VERSION    broker version (default: the pom's kafka.version)
#   KSETL_KAFKA_DIR        state dir (default: $TMPDIR/ksetl-kafka); holds
#                          server.properties, data/, kafka.pid, bootstrap, broker.log
#   KSETL_CACHE            cache root (default: ~/.cache/ksetl); the resolved
#                          classpath lives in $KSETL_CACHE/kafka-<version>/
#   KSETL_KAFKA_JAVA_OPTS  extra JVM flags
#   KSETL_KAFKA_START_TIMEOUT  seconds to wait for readiness (default 90)
#   KSETL_KAFKA_OWNER_PID  stop the broker when this process exits
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"

die() { echo "kafka.sh: $*" >&2; exit 1; }

default_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom" | head -n1
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
version="${KSETL_KAFKA_VERSION:-}"
dir="${KSETL_KAFKA_DIR:-${TMPDIR:-/tmp}/ksetl-kafka}"
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$version" ] || version="$(default_version)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad Kafka version: '$version'"

# The classpath cache is keyed by Kafka version and by the pom's content, so an
# edit to pom.xml (e.g. another logging binding) re-resolves.
classpath_file() {
  local pom_hash
  pom_hash="$(sha256sum "$pom" | cut -c1-12)"
  echo "${KSETL_CACHE:-$HOME/.cache/ksetl}/kafka-$version/classpath-$pom_hash.txt"
}

classpath_ok() {
  local f="$1" jar
  [ -s "$f" ] || return 1
  # ~/.m2 may have been cleaned since the file was written.
  IFS=':' read -r -a jars < "$f"
  for jar in "${jars[@]}"; do [ -f "$jar" ] || return 1; done
}

resolve_classpath() {
  local f tmp
  f="$(classpath_file)"
  if ! classpath_ok "$f"; then
    command -v mvn >/dev/null || die "mvn not found (needed once per Kafka version to fetch the broker jars)"
    mkdir -p "$(dirname "$f")"
    tmp="$f.tmp.$$"
    echo "kafka.sh: resolving Kafka $version jars with Maven (once per version)..." >&2
    mvn -q -B -Dstyle.color=never -f "$pom" -Dkafka.version="$version" \
      dependency:build-classpath -Dmdep.outputFile="$tmp" > "$(dirname "$f")/mvn.log" 2>&1 \
      || { cat "$(dirname "$f")/mvn.log" >&2; rm -f "$tmp"; die "mvn dependency:build-classpath failed for Kafka $version"; }
    mv -f "$tmp" "$f"
  fi
  echo "$f"
}

java_opts() {
  # Small heap and serial GC: the broker shares 2 cores with Node and the tests.
  echo "-Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
-Dorg.slf4j.simpleLogger.defaultLogLevel=${KSETL_KAFKA_LOG_LEVEL:-warn} \
-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info \
-Dorg.slf4j.simpleLogger.showDateTime=true \
-Dlog4j2.level=warn -Dlog4j2.StatusLogger.level=OFF \
${KSETL_KAFKA_JAVA_OPTS:-}"
}

free_ports() {
  # Bind to port 0 twice and report what the kernel picked.
  node -e '
    const net = require("node:net");
    const take = () => new Promise((ok, ko) => {
      const s = net.createServer().once("error", ko);
      s.listen(0, "127.0.0.1", () => ok(s));
    });
    Promise.all([take(), take()]).then((ss) => {
      console.log(ss.map((s) => s.address().port).join(" "));
      ss.forEach((s) => s.close());
    });'
}

cluster_id() {
  # Kafka's Uuid: 16 random bytes, base64url without padding, not starting
  # with "-" (the CLI would take it for a flag).
  local id
  while :; do
    id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [ "${id:0:1}" != "-" ] && { echo "$id"; return; }
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  local pid
  [ -f "$dir/kafka.pid" ] || return 1
  pid="$(cat "$dir/kafka.pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start() {
  command -v java >/dev/null || die "java not found (Java 17+ needed)"
  if running_pid >/dev/null; then
    cat "$dir/bootstrap"; return
  fi
  local cp_file cp bport cport pid deadline
  cp_file="$(resolve_classpath)"
  cp="$(cat "$cp_file")"
  rm -rf "$dir"; mkdir -p "$dir/data"
  read -r bport cport < <(free_ports)
  cat > "$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.network.threads=2
num.io.threads=2
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
log.segment.bytes=16777216
log.retention.check.interval.ms=300000
# test records carry old timestamps (QTT-style data starts near 0): with time
# retention, every retention check (5 min) deleted whatever a test was reading
log.retention.ms=-1
EOF
  # shellcheck disable=SC2046
  java -cp "$cp" $(java_opts) kafka.tools.StorageTool format \
    -t "$(cluster_id)" -c "$dir/server.properties" > "$dir/format.log" 2>&1 \
    || { cat "$dir/format.log" >&2; die "storage format failed"; }

  # setsid: the broker must outlive this script and not get the caller's
  # terminal signals; stop() kills it by pid.
  # shellcheck disable=SC2046
  setsid java -cp "$cp" $(java_opts) kafka.Kafka "$dir/server.properties" \
    > "$dir/broker.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$dir/kafka.pid"

  deadline=$(( $(date +%s) + ${KSETL_KAFKA_START_TIMEOUT:-90} ))
  # Ready = the port accepts connections and the server logged that it started
  # (the broker has registered with the controller and unfenced by then).
  until port_open "$bport" && grep -q "Kafka Server started" "$dir/broker.log"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$dir/broker.log" >&2; die "broker exited during start (log: $dir/broker.log)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 40 "$dir/broker.log" >&2; stop; die "broker not ready in ${KSETL_KAFKA_START_TIMEOUT:-90}s"
    fi
    sleep 0.2
  done
  echo "127.0.0.1:$bport" > "$dir/bootstrap"
  echo "$version" > "$dir/version"
  if [ -n "${KSETL_KAFKA_OWNER_PID:-}" ]; then
    # Watchdog: stop the broker when its owner (e.g. the test runner) dies
    # without calling stop, so a killed run does not leave a JVM behind.
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 2; done
      kill -TERM "$2" 2>/dev/null; sleep 10; kill -KILL "$2" 2>/dev/null' \
      watchdog "$KSETL_KAFKA_OWNER_PID" "$pid" > /dev/null 2>&1 < /dev/null &
  fi
  echo "127.0.0.1:$bport"
}

stop() {
  local pid i
  if pid="$(running_pid)"; then
    kill -TERM "$pid" 2>/dev/null || true
    # A single node shuts down in a few seconds; don't wait long for it.
    for i in $(seq 1 ${KSETL_KAFKA_STOP_TIMEOUT_TENTHS:-150}); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # Keep the logs for a post-mortem; the next start wipes the dir anyway.
  rm -rf "$dir/data" "$dir/kafka.pid" "$dir/bootstrap"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  classpath) resolve_classpath ;;
  status)
    if running_pid >/dev/null; then echo "running $(cat "$dir/bootstrap") (Kafka $(cat "$dir/version"))"
    else echo "stopped"; exit 1; fi ;;
  *) die "usage: kafka.sh start|stop|status|classpath [--version V] [--dir DIR]" ;;
esac
