#!/bin/sh
# Start one combined KRaft broker + controller from environment variables (kafka-config).
# The node id is the StatefulSet ordinal (pod kafka-2 -> 2), so it matches
# KAFKA_CONTROLLER_QUORUM_VOTERS. The storage is formatted on first start only.
#
# Convene's own pods use the PLAINTEXT listener (9092), reachable only from them (NetworkPolicy
# "kafka"); they are the anonymous super user. Other departments use the DEPARTMENTS listener
# (9094, SASL_SSL with SCRAM-SHA-512), which exists only where a TLS certificate is mounted
# (components/department-access); there every principal is a department's own user and sees
# only what its ACLs allow (the department-access Job grants them).
set -eu
kafka_home="${KAFKA_HOME:-/opt/kafka}"
departments_tls="${KAFKA_DEPARTMENTS_TLS_DIR:-/etc/kafka/departments-tls}"
work="${KAFKA_WORK_DIR:-/tmp/kafka}"

ordinal="${POD_NAME##*-}"
case "$ordinal" in
  '' | *[!0-9]*) echo "start-kafka: cannot take a node id from POD_NAME=$POD_NAME" >&2; exit 1 ;;
esac

mkdir -p "$work" "$LOG_DIR"
config="$work/server.properties"
# The name each broker gives clients; resolvable in any namespace and any cluster domain.
advertised_host="${POD_NAME}.kafka-headless.${POD_NAMESPACE}.svc"

listeners="PLAINTEXT://:9092,CONTROLLER://:9093"
advertised="PLAINTEXT://${advertised_host}:9092"
protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
departments=""
if [ -f "$departments_tls/tls.crt" ] && [ -f "$departments_tls/tls.key" ]; then
  : "${KAFKA_DEPARTMENTS_DOMAIN:?the departments listener needs KAFKA_DEPARTMENTS_DOMAIN}"
  # Kafka reads a PEM keystore as one file: the (PKCS#8, unencrypted) key, then the chain.
  cat "$departments_tls/tls.key" "$departments_tls/tls.crt" > "$work/departments.pem"
  chmod 600 "$work/departments.pem"
  listeners="${listeners},DEPARTMENTS://:9094"
  # Each broker's own public name, so a department's client reaches the partition leader.
  advertised="${advertised},DEPARTMENTS://${POD_NAME}.${KAFKA_DEPARTMENTS_DOMAIN}:9094"
  protocols="${protocols},DEPARTMENTS:SASL_SSL"
  departments="listener.name.departments.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.departments.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.departments.ssl.keystore.type=PEM
listener.name.departments.ssl.keystore.location=${work}/departments.pem
listener.name.departments.ssl.enabled.protocols=TLSv1.3,TLSv1.2"
fi

cat > "$config" <<PROPERTIES
process.roles=broker,controller
node.id=${ordinal}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS}
controller.listener.names=CONTROLLER
listeners=${listeners}
advertised.listeners=${advertised}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=${protocols}
# ACLs decide what a department's user may do; Convene's pods (anonymous, on the in-cluster
# listeners only) are super users, so internal traffic needs no ACLs.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
allow.everyone.if.no.acl.found=false
${departments}
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

echo "start-kafka: node ${ordinal}, voters ${KAFKA_CONTROLLER_QUORUM_VOTERS}, advertised ${advertised}"
"$kafka_home/bin/kafka-storage.sh" format --ignore-formatted \
  --cluster-id "$KAFKA_CLUSTER_ID" --config "$config"
exec "$kafka_home/bin/kafka-server-start.sh" "$config"
