"""Convene event contracts: the only thing services share about each other.

Each event type is a pydantic model whose name carries its version; the registry maps each type
to its Kafka topic. The envelope is CloudEvents 1.0 in Kafka binary mode.
"""

from contracts.base import IntegrationEvent
from contracts.envelope import Envelope, EnvelopeError
from contracts.registry import REGISTRY, EventSpec, spec_for

__all__ = ["REGISTRY", "Envelope", "EnvelopeError", "EventSpec", "IntegrationEvent", "spec_for"]
