"""Events published by the directory service."""

from __future__ import annotations
