"""RFC 8785 canonical bytes through the `rfc8785` package.

ehx integers go up to 2^53, one past the package's integer domain; such a
value is handed over as a double, whose ECMAScript form is the same digits."""
import rfc8785

_LIMIT = 2**53 - 1


def _prepare(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return float(value) if abs(value) > _LIMIT else value
    if isinstance(value, dict):
        return {k: _prepare(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_prepare(v) for v in value]
    return value


def canonical(value) -> bytes:
    return rfc8785.dumps(_prepare(value))
