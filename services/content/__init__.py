"""Content: Curated articles, events and resources, personalised feeds and digests."""
