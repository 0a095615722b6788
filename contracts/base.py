"""The base class every integration event derives from."""

from __future__ import annotations

from typing import Any, ClassVar, Self

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

    @classmethod
    def twin_of(cls, event: IntegrationEvent, **changes: Any) -> Self:
        """An event of this type with `event`'s values for the fields both types declare, then
        `changes`: how a public event is built from its internal twin. A public model declares
        only what departments may see, so nothing else of the internal event can reach it."""
        shared = cls.model_fields.keys() & type(event).model_fields.keys()
        return cls.model_validate({name: getattr(event, name) for name in shared} | changes)
