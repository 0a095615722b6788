"""The development stack: embedded PostgreSQL and Kafka-protocol broker, and the supervisor
that starts every Convene service on one machine (`convene up`). Not deployed anywhere."""
