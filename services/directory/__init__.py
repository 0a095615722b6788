"""Directory: profiles, organisations, search, privacy, contact requests."""
