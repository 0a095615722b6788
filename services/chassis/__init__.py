"""The microservice chassis: what every Convene service needs and nothing service-specific.

Settings, database sessions, transactional outbox and relay, inbox-backed consumers with
dead-letter topics, health, telemetry, problem+json errors and the service CLI.
"""
