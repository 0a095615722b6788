#!/bin/sh
# Start one combined KRaft broker + controller from environment variables (kafka-config).
# The node id is the StatefulSet ordinal (pod kafka-2 -> 2), so it matches
# KAFKA_CONTROLLER_QUORUM_VOTERS. The storage is formatted on first start only.
set -eu

ordinal="${POD_NAME##*-}"
case "$ordinal" in
  '' | *[!0-9]*) echo "start-kafka: cannot take a node id from POD_NAME=$POD_NAME" >&2; exit 1 ;;
esac

mkdir -p /tmp/kafka "$LOG_DIR"
config=/tmp/kafka/server.properties
# The name each broker gives clients; resolvable in any namespace and any cluster domain.
advertised_host="${POD_NAME}.kafka-headless.${POD_NAMESPACE}.svc"

cat > "$config" <<PROPERTIES
process.roles=broker,controller
node.id=${ordinal}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://${advertised_host}:9092
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=/var/lib/kafka/data/kraft
num.partitions=${KAFKA_NUM_PARTITIONS}
default.replication.factor=${KAFKA_REPLICATION_FACTOR}
min.insync.replicas=${KAFKA_MIN_INSYNC_REPLICAS}
offsets.topic.replication.factor=${KAFKA_REPLICATION_FACTOR}
transaction.state.log.replication.factor=${KAFKA_REPLICATION_FACTOR}
transaction.state.log.min.isr=${KAFKA_MIN_INSYNC_REPLICAS}
log.retention.hours=${KAFKA_LOG_RETENTION_HOURS}
# Topics come from the contracts registry (the convene-topics Job), never from a typo.
auto.create.topics.enable=false
unclean.leader.election.enable=false
PROPERTIES

echo "start-kafka: node ${ordinal}, voters ${KAFKA_CONTROLLER_QUORUM_VOTERS}, advertised ${advertised_host}:9092"
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted \
  --cluster-id "$KAFKA_CLUSTER_ID" --config "$config"
exec /opt/kafka/bin/kafka-server-start.sh "$config"
