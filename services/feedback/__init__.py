"""Feedback: Group feedback campaigns and anonymous, aggregated reports for the Prime Minister."""
