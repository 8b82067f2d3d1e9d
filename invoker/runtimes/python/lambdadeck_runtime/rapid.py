"""Client of the Lambda Runtime API (reference section 1).

One persistent HTTP/1.1 connection serves the whole life of the process, as
Lambda's own clients keep theirs alive. Any answer other than the documented
success status is a RuntimeAPIError: the runtime cannot go on after it.
"""

import http.client

_BASE = "/2018-06-01/runtime"

# Errors that mean the server closed an idle keep-alive connection before our
# request reached it; the request is then safe to send again once.
_STALE_CONNECTION_ERRORS = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
)


class RuntimeAPIError(Exception):
    """RuntimeAPIError reports a Runtime API call that did not succeed."""


class Invocation(object):
    """Invocation is one event received from GET /next, with its metadata."""

    __slots__ = [
        "request_id",
        "deadline_ms",
        "invoked_function_arn",
        "trace_id",
        "client_context",
        "cognito_identity",
        "tenant_id",
        "content_type",
        "body",
    ]


class RuntimeClient(object):
    """RuntimeClient talks to the Runtime API at host:port."""

    def __init__(self, address):
        self._address = address
        # timeout=None makes the socket blocking whatever the user's code does
        # to socket.setdefaulttimeout: /next is a long poll with no deadline.
        self._conn = http.client.HTTPConnection(address, timeout=None)
        # _used says the connection has carried an exchange, so a reset on
        # it may just mean the server dropped it while idle.
        self._used = False

    def connect(self):
        """connect opens the connection now, so that a refused connection is
        reported before the user's code is loaded."""
        try:
            self._conn.connect()
        except OSError as e:
            raise RuntimeAPIError(
                "cannot connect to the runtime api at %s: %s" % (self._address, e)
            )

    def next(self):
        """next blocks until the next invocation and returns it."""
        status, headers, body = self._request("GET", _BASE + "/invocation/next")
        if status != 200:
            raise RuntimeAPIError(_describe("GET /invocation/next", status, body))
        inv = Invocation()
        inv.request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        if not inv.request_id:
            raise RuntimeAPIError(
                "GET /invocation/next answered without Lambda-Runtime-Aws-Request-Id"
            )
        try:
            inv.deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        except ValueError:
            raise RuntimeAPIError(
                "GET /invocation/next answered a bad Lambda-Runtime-Deadline-Ms: %r"
                % headers.get("Lambda-Runtime-Deadline-Ms")
            )
        inv.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        inv.trace_id = headers.get("Lambda-Runtime-Trace-Id")
        inv.client_context = headers.get("Lambda-Runtime-Client-Context")
        inv.cognito_identity = headers.get("Lambda-Runtime-Cognito-Identity")
        inv.tenant_id = headers.get("Lambda-Runtime-Aws-Tenant-Id")
        inv.content_type = headers.get("Content-Type")
        inv.body = body
        return inv

    def post_response(self, request_id, body, content_type):
        """post_response sends the handler's result (bytes)."""
        path = "%s/invocation/%s/response" % (_BASE, request_id)
        self._post(path, body, {"Content-Type": content_type})

    def post_error(self, request_id, body, xray_cause=None):
        """post_error reports a failed invocation; body is the error JSON."""
        path = "%s/invocation/%s/error" % (_BASE, request_id)
        headers = {"Content-Type": "application/json"}
        # Lambda's clients drop an X-Ray cause of 1 MiB or more.
        if xray_cause and len(xray_cause) < 1024 * 1024:
            headers["Lambda-Runtime-Function-XRay-Error-Cause"] = xray_cause
        self._post(path, body, headers)

    def post_init_error(self, body, error_type):
        """post_init_error reports a failure to load the handler."""
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Function-Error-Type": error_type,
        }
        self._post(_BASE + "/init/error", body, headers)

    def _post(self, path, body, headers):
        status, _, answer = self._request("POST", path, body, headers)
        if status != 202:
            raise RuntimeAPIError(_describe("POST " + path[len(_BASE) :], status, answer))

    def _request(self, method, path, body=None, headers=None):
        headers = headers or {}
        try:
            return self._exchange(method, path, body, headers)
        except _STALE_CONNECTION_ERRORS:
            if not self._used:
                raise RuntimeAPIError("the runtime api closed the connection")
        except (OSError, http.client.HTTPException) as e:
            raise RuntimeAPIError("%s %s failed: %s" % (method, path, e))
        # The keep-alive connection had gone stale: send once more on a new one.
        self._conn.close()
        self._used = False
        try:
            return self._exchange(method, path, body, headers)
        except (OSError, http.client.HTTPException) as e:
            raise RuntimeAPIError("%s %s failed: %s" % (method, path, e))

    def _exchange(self, method, path, body, headers):
        self._conn.request(method, path, body=body, headers=headers)
        response = self._conn.getresponse()
        answer = response.read()
        self._used = True
        return response.status, response.headers, answer


def _describe(call, status, body):
    text = body.decode("utf-8", "replace").strip().replace("\n", " ")
    if len(text) > 300:
        text = text[:300] + "..."
    return "runtime api %s answered %d: %s" % (call, status, text)
