"""Events in, results out: JSON as Lambda's Python runtime does it (reference
section 4.3).

Lambda's runtime encodes with simplejson; this module reaches the same output
with the standard library: separators ", " and ": ", NaN and Infinity allowed,
Decimal written as the number it holds (not a float), and non-ASCII text kept
as is on python3.12 and later declared runtimes.
"""

import decimal
import json
import math
import os
import re
import uuid

from . import faults

JSON_CONTENT_TYPE = "application/json"
BYTES_CONTENT_TYPE = "application/unknown"


def keeps_non_ascii(execution_env):
    """keeps_non_ascii reports whether the declared runtime (AWS_EXECUTION_ENV,
    e.g. AWS_Lambda_python3.12) writes non-ASCII characters unescaped, which
    Lambda does from python3.12 on."""
    match = re.match(r"^AWS_Lambda_python3\.(\d+)$", execution_env or "")
    return bool(match) and int(match.group(1)) >= 12


class Encoder(object):
    """Encoder turns handler results and error documents into JSON text."""

    def __init__(self, ensure_ascii=None):
        if ensure_ascii is None:
            ensure_ascii = not keeps_non_ascii(os.environ.get("AWS_EXECUTION_ENV"))
        self._ensure_ascii = ensure_ascii

    def encode(self, value):
        """encode returns value as JSON text; it raises TypeError or
        ValueError for values JSON cannot hold."""
        # The standard encoder cannot emit raw text, so each Decimal becomes a
        # string holding a per-call random token, and the quoted tokens are
        # replaced by the numbers afterwards. The token is hex, so it is never
        # escaped, and a random one cannot collide with the user's strings.
        numbers = []
        token = "ldrt" + uuid.uuid4().hex

        def default(obj):
            if isinstance(obj, decimal.Decimal):
                if obj.is_nan():
                    return math.nan
                numbers.append(str(obj))
                return "%s_%d" % (token, len(numbers) - 1)
            raise TypeError(
                "Object of type %s is not JSON serializable" % type(obj).__name__
            )

        text = json.dumps(
            value, default=default, allow_nan=True, ensure_ascii=self._ensure_ascii
        )
        if not numbers:
            return text
        pattern = re.compile('"%s_(\\d+)"' % token)
        return pattern.sub(lambda m: numbers[int(m.group(1))], text)


def unmarshal_event(body, content_type):
    """unmarshal_event returns the event for the handler: parsed JSON when the
    content type is exactly application/json, else the raw bytes."""
    if content_type != JSON_CONTENT_TYPE:
        return body
    try:
        return json.loads(body)
    except Exception as e:
        raise faults.Fault(faults.UNMARSHAL_ERROR, "Unable to unmarshal input: %s" % e)


def marshal_result(encoder, result):
    """marshal_result returns the body and content type to post for a
    handler's result: bytes go out raw, anything else as JSON."""
    if isinstance(result, bytes):
        return result, BYTES_CONTENT_TYPE
    try:
        return encoder.encode(result).encode("utf-8"), JSON_CONTENT_TYPE
    except Exception as e:
        raise faults.Fault(faults.MARSHAL_ERROR, "Unable to marshal response: %s" % e)
