"""Domain errors: services raise these; interfaces turn them into messages and status codes."""


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Missing and not-yours look the same, so nothing leaks about records one may not see."""

    status = 404

    def __init__(self, message: str = "Not found."):
        super().__init__("not_found", message)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "You do not have permission to do that."):
        super().__init__("forbidden", message)


class Invalid(DomainError):
    status = 422

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(code, message, field=field)


class Conflict(DomainError):
    status = 409

    def __init__(self, message: str, *, field: str | None = None, code: str = "conflict"):
        super().__init__(code, message, field=field)


class Stale(DomainError):
    """If-Match named a version of the record that is not the stored one: someone changed it."""

    status = 412

    def __init__(self, message: str = "The record changed since you read it: read it again."):
        super().__init__("precondition_failed", message)
