"""Events published by the content service."""

from __future__ import annotations
