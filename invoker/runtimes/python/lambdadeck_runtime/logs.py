"""Function log output as Lambda's Python runtime writes it (reference section
4.5): unbuffered stdout and stderr, a root logging handler in Lambda's TEXT or
JSON format, and the line that records an unhandled error."""

import json
import logging
import sys
import time
import traceback

TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
TEXT_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
JSON_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# Lambda's ApplicationLogLevel values and the logging levels they set.
LOG_LEVELS = {
    "TRACE": "DEBUG",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "ERROR": "ERROR",
    "FATAL": "CRITICAL",
    "CRITICAL": "CRITICAL",
}

# LogRecord attributes that are not user data: everything else on a record
# (the keys of logging's extra={...}) is merged into a JSON log line.
_RECORD_ATTRIBUTES = frozenset(
    [
        "name",
        "msg",
        "args",
        "levelname",
        "levelno",
        "pathname",
        "filename",
        "module",
        "exc_info",
        "exc_text",
        "stack_info",
        "lineno",
        "funcName",
        "created",
        "msecs",
        "relativeCreated",
        "thread",
        "threadName",
        "processName",
        "process",
        "aws_request_id",
        "tenant_id",
    ]
)

# The message ends with a carriage return, as Lambda's own does (it shows at
# the end of the TEXT line, and as "\r" in the JSON record's message).
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. "
    "The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. "
    "To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. "
    "If this error correlates with a change in the runtime version, you may be able to mitigate this "
    "error by temporarily rolling back to the previous runtime version. "
    "For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)

NBSP = "\u00a0"


class Unbuffered(object):
    """Unbuffered wraps a text stream so that every write reaches the file
    descriptor at once: a log line must be in lambdadeck's pipe before the
    runtime posts the invocation's outcome."""

    def __init__(self, stream):
        self.stream = stream

    def __getattr__(self, attr):
        return getattr(self.stream, attr)

    def write(self, text):
        written = self.stream.write(text)
        self.stream.flush()
        return written

    def writelines(self, lines):
        self.stream.writelines(lines)
        self.stream.flush()


class StdoutSink(object):
    """StdoutSink writes log text to the current sys.stdout."""

    def log(self, text):
        sys.stdout.write(text)

    def log_error(self, lines):
        # One record, its lines joined by carriage returns, as Lambda writes it.
        sys.stdout.write("\r".join(lines) + "\n")


class RequestState(object):
    """RequestState holds the ids of the invocation in progress, read by the
    log filter; the request id is "" before the first invocation."""

    def __init__(self):
        self.request_id = ""
        self.tenant_id = None


class _RequestFilter(logging.Filter):
    def __init__(self, state):
        super().__init__()
        self._state = state

    def filter(self, record):
        record.aws_request_id = self._state.request_id
        record.tenant_id = self._state.tenant_id
        return True


class _SinkHandler(logging.Handler):
    def __init__(self, sink):
        super().__init__()
        self.log_sink = sink

    def emit(self, record):
        try:
            text = self.format(record)
            # A record with a traceback ends without a newline; end it so the
            # next log line starts on its own line of the pipe.
            if not text.endswith("\n"):
                text += "\n"
            self.log_sink.log(text)
        except Exception:
            self.handleError(record)


class JsonFormatter(logging.Formatter):
    """JsonFormatter writes one JSON object per record with Lambda's keys:
    timestamp, level, message, logger, requestId; stackTrace, errorType,
    errorMessage and location with exc_info; then the record's extra keys.
    Keys whose value is None are left out."""

    def formatTime(self, record, datefmt=None):
        return time.strftime(JSON_TIME_FORMAT, time.gmtime(record.created))

    def format(self, record):
        # Lambda reports custom levels as the standard level below them.
        levelno = min(50, max(0, record.levelno)) // 10 * 10
        exc_info = record.exc_info
        line = {
            "timestamp": self.formatTime(record),
            "level": logging.getLevelName(levelno),
            "message": record.getMessage(),
            "logger": record.name,
            "stackTrace": _traceback_lines(exc_info),
            "errorType": exc_info[0].__name__ if exc_info else None,
            "errorMessage": str(exc_info[1]) if exc_info else None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": (
                "%s:%s:%s" % (record.pathname, record.funcName, record.lineno)
                if exc_info
                else None
            ),
        }
        tenant_id = getattr(record, "tenant_id", None)
        if tenant_id is not None:
            line["tenantId"] = tenant_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key not in line:
                line[key] = value
        line = {k: v for k, v in line.items() if v is not None}
        return json.dumps(line, ensure_ascii=False, default=str) + "\n"


def _traceback_lines(exc_info):
    if not exc_info or exc_info[2] is None:
        return None
    return traceback.format_tb(exc_info[2])


class Logs(object):
    """Logs is the runtime's log output: the sink, the logging setup, and the
    unhandled-error record."""

    def __init__(self, log_format, log_level, encoder):
        self.json = (log_format or "").upper() == "JSON"
        self.level = LOG_LEVELS.get((log_level or "").upper())
        self.sink = StdoutSink()
        self.state = RequestState()
        self._encoder = encoder

    def install(self):
        """install makes stdout and stderr unbuffered and adds the root
        logging handler."""
        sys.stdout = Unbuffered(sys.stdout)
        sys.stderr = Unbuffered(sys.stderr)
        # Lambda's runtime switches every logging formatter to UTC.
        logging.Formatter.converter = time.gmtime
        handler = _SinkHandler(self.sink)
        if self.json:
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(logging.Formatter(TEXT_FORMAT, TEXT_DATE_FORMAT))
        handler.addFilter(_RequestFilter(self.state))
        root = logging.getLogger()
        # Without AWS_LAMBDA_LOG_LEVEL the root keeps Python's default, WARNING.
        if self.level:
            root.setLevel(self.level)
        root.addHandler(handler)

    def warn_unhandled(self):
        """warn_unhandled logs Lambda's LAMBDA_WARNING line before an init
        error."""
        logging.warning(_UNHANDLED_WARNING)

    def log_unhandled(self, document):
        """log_unhandled writes the record of an unhandled error document."""
        if self.json:
            record = {
                "timestamp": time.strftime(JSON_TIME_FORMAT, time.gmtime()),
                "log_level": "ERROR",
            }
            record.update(document)
            self.sink.log_error([self._encoder.encode(record)])
            return
        head = "[ERROR]"
        if document.get("errorType"):
            head += " " + document["errorType"]
        if document.get("errorMessage"):
            if document.get("errorType"):
                head += ":"
            head += " " + document["errorMessage"]
        lines = [head]
        trace = document.get("stackTrace")
        if trace is not None:
            lines.append("Traceback (most recent call last):")
            for entry in trace:
                if entry == "":
                    lines.append("")
                    continue
                for line in entry.splitlines():
                    stripped = line.lstrip(" ")
                    lines.append(NBSP * (len(line) - len(stripped)) + stripped)
        self.sink.log_error(lines)

    def flush(self):
        """flush pushes whatever the user's code left in Python's buffers
        (sys.stdout replaced, writes to .buffer) into the pipe."""
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                if stream is not None:
                    stream.flush()
            except Exception:
                pass
