"""Events published by the feedback service."""

from __future__ import annotations
