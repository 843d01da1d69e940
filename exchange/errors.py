"""Every error govx raises, under one root.

    GovxError
    ├── ConfigError                 bad settings, scenario or unknown GOVX_ key
    │   └── RunError                a load-test run cannot go on (a child failed to start)
    ├── InvalidValueError           a value outside its domain (a node, a code)
    │   └── UnknownDivisionError    a six-digit code the division table lacks
    ├── BrokerError                 the local Kafka broker cannot be installed or started
    ├── TransportError              the Kafka cluster failed a request        (retriable)
    ├── CatalogueError              the catalogue data is inconsistent
    ├── SchemaError                 an Avro schema or datum does not fit
    ├── ApiError                    an HTTP answer other than success, raised from a route
    │   └── RegistryError           a schema registry refusal, with Confluent's error code (api/registry_auth)
    ├── DirectoryError              a directory request breaks the sharing rules
    │   ├── NotFoundError           no such resource, application, grant or record
    │   ├── ForbiddenError          the caller may not do this
    │   └── ConflictError           the entity is not in a state that allows this
    └── InvalidEvent                an event that goes to the dead-letter topic
        ├── FramingError            not Confluent wire format          avro.framing
        ├── UnknownSchemaError      schema id not registered           schema.unknown
        ├── DecodeError             bytes do not decode                avro.decode
        ├── HeaderError             CloudEvents header missing/bad     header.missing / header.invalid
        ├── UnknownResourceError    no such resource in the directory  resource.unknown
        ├── SourceError             source does not provide resource   source.unauthorized
        ├── IdentifierError         an identifier fails its checks     id.<reason>
        └── SubjectError            key is not the record's subject    key.mismatch

`retriable` decides what a worker does with an error: retry the batch (True) or
dead-letter the event / fail the request (False). `InvalidEvent.reason` is the stable
code written to the `govx_error` header.
"""

from __future__ import annotations


class GovxError(Exception):
    """Root of every govx error."""

    retriable = False
    exit_code = 2


class ConfigError(GovxError):
    """Settings, a scenario file or the environment are wrong."""


class RunError(ConfigError):
    """A load-test run cannot go on: a child process failed to start or died."""


class InvalidValueError(GovxError):
    """A value outside what its domain allows: a department node, a division code."""


class UnknownDivisionError(InvalidValueError):
    """A code that is not a division of the table."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown division code {code!r}: not in the Guangdong GB/T 2260 table")
        self.code = code


class ApiError(GovxError):
    """An HTTP answer other than success, raised from a route."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BrokerError(GovxError):
    """The local Kafka broker cannot be installed, started or stopped."""


class TransportError(GovxError):
    """The Kafka cluster did not complete a request."""

    def __init__(self, message: str, *, retriable: bool = True) -> None:
        super().__init__(message)
        self.retriable = retriable


class CatalogueError(GovxError):
    """The catalogue data names something that does not exist or contradicts itself."""


class SchemaError(GovxError):
    """An Avro schema is invalid, or a datum does not fit its schema."""


class DirectoryError(GovxError):
    """A directory request breaks the sharing rules."""

    code = "directory.invalid"
    status = 422

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class NotFoundError(DirectoryError):
    """No such resource, application, grant or record."""

    code = "not_found"
    status = 404


class ForbiddenError(DirectoryError):
    """The calling department may not do this."""

    code = "forbidden"
    status = 403


class ConflictError(DirectoryError):
    """The entity is not in a state that allows this request."""

    code = "conflict"
    status = 409


class InvalidEvent(GovxError):
    """An event that cannot be exchanged; it goes to the dead-letter topic."""

    reason = "event.invalid"

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if reason is not None:
            self.reason = reason


class FramingError(InvalidEvent):
    """The value is not in the Confluent wire format."""

    reason = "avro.framing"


class UnknownSchemaError(InvalidEvent):
    """The value names a schema id that is not registered."""

    reason = "schema.unknown"


class DecodeError(InvalidEvent):
    """The value does not decode with its writer schema."""

    reason = "avro.decode"


class HeaderError(InvalidEvent):
    """A CloudEvents header is missing or malformed."""

    reason = "header.invalid"


class UnknownResourceError(InvalidEvent):
    """The event names a resource the directory does not list."""

    reason = "resource.unknown"


class SourceError(InvalidEvent):
    """The event's source department does not provide this resource."""

    reason = "source.unauthorized"


class IdentifierError(InvalidEvent):
    """An identifier in the record fails its checks."""

    reason = "id.invalid"


class SubjectError(InvalidEvent):
    """The event key is not the record's subject identifier."""

    reason = "key.mismatch"
