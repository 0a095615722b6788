"""Domain errors: each maps to one clear API answer."""


class IdentityError(Exception):
    """Base of identity's domain errors."""


class AlreadyInvited(IdentityError):
    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is already invited or a member.")
