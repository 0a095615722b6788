#!/bin/sh
# Give each department read-only Kafka access to the public topics it was granted.
#
# grants.txt holds one line per department: `<department> <topic> [<topic> ...]`; `#` starts
# a comment. For each department this creates or updates its SCRAM-SHA-512 user (the password
# is the file <department> in the credentials folder, from Secret kafka-department-credentials),
# allows Read and Describe on exactly its topics, takes those rights away on every other public
# topic (so removing a topic from its line revokes it), and lets it use consumer groups whose
# names start with `<department>.` (its own, nobody else's). A line `<department> -` revokes
# everything and deletes the user.
#
# Every line is checked before anything is changed, so a typo grants nothing.
set -eu
bin="${KAFKA_HOME:-/opt/kafka}/bin"
bootstrap="${KAFKA_BOOTSTRAP_SERVERS:?set KAFKA_BOOTSTRAP_SERVERS}"
grants="${DEPARTMENT_GRANTS:-/opt/convene/grants.txt}"
credentials="${DEPARTMENT_CREDENTIALS:-/etc/convene/department-credentials}"

fail() {
  echo "department-access: $*" >&2
  exit 1
}

# Lines without comments and blank lines, as "<department> <topics...>".
entries() {
  sed -e 's/#.*//' -e 's/[[:space:]][[:space:]]*/ /g' -e 's/^ //' -e 's/ $//' "$grants" | grep -v '^$' || true
}

check() {
  seen=" "
  entries | while read -r department topics; do
    case "$department" in
      *[!a-z0-9-]* | -* | '') fail "department '$department': use lower-case letters, digits and '-'" ;;
    esac
    [ "${#department}" -le 40 ] || fail "department '$department': at most 40 characters"
    case "$seen" in *" $department "*) fail "department '$department' is listed twice" ;; esac
    seen="$seen$department "
    [ -n "$topics" ] || fail "department '$department': name its topics, or '-' to revoke"
    [ "$topics" = "-" ] && continue
    for topic in $topics; do
      case "$topic" in
        public.*) ;;
        *) fail "department '$department': '$topic' is not a public topic (public.*)" ;;
      esac
      case "$topic" in *[!a-z0-9._-]*) fail "department '$department': bad topic '$topic'" ;; esac
    done
    password_file="$credentials/$department"
    [ -s "$password_file" ] || fail "department '$department': no password in $password_file"
    password="$(cat "$password_file")"
    [ "${#password}" -ge 24 ] || fail "department '$department': the password needs 24+ characters"
    case "$password" in
      *[!A-Za-z0-9_-]*) fail "department '$department': the password may hold only A-Z a-z 0-9 _ -" ;;
    esac
  done
}

acl() {
  "$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" "$@"
}

grant() {
  department="$1"
  shift
  principal="User:$department"
  if [ "$1" = "-" ]; then
    for topic in $public_topics; do
      acl --remove --force --allow-principal "$principal" --operation Read --operation Describe --topic "$topic"
    done
    acl --remove --force --allow-principal "$principal" --operation Read \
      --group "$department." --resource-pattern-type prefixed
    "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --alter --entity-type users \
      --entity-name "$department" --delete-config SCRAM-SHA-512 || true
    echo "department-access: $department revoked"
    return
  fi
  password="$(cat "$credentials/$department")"
  "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --alter --entity-type users \
    --entity-name "$department" --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]"
  for topic in $public_topics; do
    case " $* " in
      *" $topic "*) acl --add --allow-principal "$principal" --operation Read --operation Describe --topic "$topic" ;;
      *) acl --remove --force --allow-principal "$principal" --operation Read --operation Describe --topic "$topic" ;;
    esac
  done
  acl --add --allow-principal "$principal" --operation Read \
    --group "$department." --resource-pattern-type prefixed
  echo "department-access: $department may read $*"
}

check
public_topics="$("$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --list | grep '^public\.' | grep -v '\.dlq$' || true)"
entries | while read -r department topics; do
  for topic in $topics; do
    [ "$topic" = "-" ] && continue
    case " $(echo $public_topics) " in
      *" $topic "*) ;;
      *) fail "department '$department': topic '$topic' does not exist (run the topics Job first)" ;;
    esac
  done
done
entries | while read -r department topics; do
  # shellcheck disable=SC2086 # one argument per topic
  grant "$department" $topics
done
echo "department-access: done"
