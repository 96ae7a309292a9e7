"""Schema conventions shared by every service's HTTP input."""

from marshmallow import RAISE, Schema


class StrictSchema(Schema):
    """HTTP input: a field the contract does not name is refused (422), never silently dropped."""

    class Meta:
        unknown = RAISE
