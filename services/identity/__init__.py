"""Identity: invitations, sign-in, tokens, roles. Publishes member lifecycle events."""
