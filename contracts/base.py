"""The base class every integration event derives from."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class IntegrationEvent(BaseModel):
    """The data of one integration event (the CloudEvents `data`; the envelope is separate).

    Subclasses set `event_type` (``<service>.<aggregate>.<past-tense>.v<N>``), `topic` (one per
    aggregate) and `public`. Readers are tolerant: unknown fields are ignored, so a producer may
    add optional fields within a version without breaking anyone.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]
    public: ClassVar[bool] = False
    #: The field holding the aggregate id: the Kafka key and the CloudEvents subject.
    subject_field: ClassVar[str]

    def subject(self) -> str:
        """The aggregate id, used as Kafka message key so one aggregate's events stay in order."""
        return str(getattr(self, self.subject_field))
