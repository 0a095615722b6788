"""Feedback's HTTP routes."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
