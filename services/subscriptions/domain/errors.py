"""What can go wrong in subscriptions; entrypoints map each to one problem answer."""


class SubscriptionsError(Exception):
    pass


class EndpointNotFound(SubscriptionsError):
    def __init__(self) -> None:
        super().__init__("There is no endpoint with that id.")


class DeliveryNotFound(SubscriptionsError):
    def __init__(self) -> None:
        super().__init__("There is no parked delivery with that id for this endpoint.")


class UnknownEventTypes(SubscriptionsError):
    """Names that are not public event types in the contracts."""


class NotInScope(SubscriptionsError):
    """Event types the caller's token does not grant."""


class TargetNotAllowed(SubscriptionsError):
    """A webhook URL that is not https, or that points at a private or local address."""


class TooManyEndpoints(SubscriptionsError):
    pass


class VerificationFailed(SubscriptionsError):
    """The endpoint did not echo the signed challenge."""


class NotVerified(SubscriptionsError):
    def __init__(self) -> None:
        super().__init__("Verify the endpoint first: POST /endpoints/{id}/verify.")


class BadCursor(SubscriptionsError):
    def __init__(self) -> None:
        super().__init__("The cursor is not one this service issued, or it was changed.")


class BeyondRetention(SubscriptionsError):
    """A cursor or time older than the log keeps."""
