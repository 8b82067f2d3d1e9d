"""Errors the runtime itself reports, and the error document Lambda's Python
runtime posts (reference sections 1.5 and 4.2)."""

import os
import traceback

MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

# The folder holding bootstrap.py and this package: frames in it are the
# runtime's, not the user's, and are cut from stack traces.
RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Fault(Exception):
    """Fault is an error with a Lambda error type (Runtime.*) and an optional
    stack trace in the posted form (a list of strings)."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def error_document(message, error_type, trace, request_id=None):
    """error_document returns the body posted to /error and /init/error, keys
    in Lambda's order; requestId is "" for init errors."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": trace or [],
    }


def user_frames(tb):
    """user_frames returns the frames of a traceback as (file, line, function,
    text) tuples, without the runtime's own frames that lead to the user's
    code. Tuples, unlike FrameSummary objects, format without the column
    markers of Python 3.11+, as Lambda's traces show."""
    frames = [
        (frame.filename, frame.lineno, frame.name, frame.line)
        for frame in traceback.extract_tb(tb)
    ]
    prefix = RUNTIME_DIR + os.sep
    for i, frame in enumerate(frames):
        if not frame[0].startswith(prefix):
            return frames[i:]
    return frames


def from_exception(exc, request_id=None):
    """from_exception returns the error document and the X-Ray cause for an
    exception raised by the user's code."""
    frames = user_frames(exc.__traceback__)
    message = str(exc)
    error_type = type(exc).__name__
    document = error_document(message, error_type, traceback.format_list(frames), request_id)
    return document, xray_cause(error_type, message, frames)


def xray_cause(error_type, message, frames):
    """xray_cause returns the Lambda-Runtime-Function-XRay-Error-Cause value."""
    return {
        "working_directory": os.getcwd(),
        "exceptions": [
            {
                "type": error_type,
                "message": message,
                "stack": [{"label": f[2], "path": f[0], "line": f[1]} for f in frames],
            }
        ],
        "paths": sorted({f[0] for f in frames}),
    }
