"""Convene's services: one package per service, plus the shared chassis and the dev supervisor."""
