"""The runtime loop: load the handler, then serve invocations one at a time
(reference sections 1.9, 4.1 to 4.3)."""

import importlib
import json
import os
import site
import sys

from . import faults
from . import payload
from .context import LambdaContext
from .logs import Logs
from .rapid import RuntimeAPIError, RuntimeClient


def main(task_root, handler_name):
    """main runs the runtime until the process is told to exit; task_root is
    already first on sys.path."""
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        _die("AWS_LAMBDA_RUNTIME_API is not set")
    # .pth files in the task root count, as on Lambda.
    site.addsitedir(task_root)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")

    encoder = payload.Encoder()
    logs = Logs(
        os.environ.get("AWS_LAMBDA_LOG_FORMAT"),
        os.environ.get("AWS_LAMBDA_LOG_LEVEL"),
        encoder,
    )
    logs.install()
    client = RuntimeClient(address)
    try:
        run(handler_name, client, logs, encoder)
    except RuntimeAPIError as e:
        logs.flush()
        _die(str(e))


# A BaseException that is not an Exception (KeyboardInterrupt) leaves the
# handler uncaught, as on Lambda, and Python prints its traceback: the frames
# leading to the user's code are main, run and handle_event_request, named
# and calling as in Lambda's runtime, so that the trace reads as it does there.


def run(handler, client, logs, encoder):
    """run loads the handler, then serves invocations one at a time."""
    client.connect()
    request_handler = _init(client, logs, encoder, handler)
    while True:
        event_request = client.next()
        handle_event_request(
            client,
            logs,
            encoder,
            request_handler,
            event_request,
        )


def load_handler(handler_name):
    """load_handler imports the handler's module and returns the function, or
    raises a faults.Fault for the errors Lambda names (any other exception
    raised by the module's code propagates)."""
    try:
        module_name, function_name = handler_name.rsplit(".", 1)
    except ValueError as e:
        raise faults.Fault(
            faults.MALFORMED_HANDLER_NAME, "Bad handler '%s': %s" % (handler_name, e)
        )
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise faults.Fault(
                faults.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module %s as a handler module" % module_name,
            )
        # "pkg/sub.module.fn" imports pkg.sub.module.
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise faults.Fault(
            faults.IMPORT_MODULE_ERROR,
            "Unable to import module '%s': %s%s" % (module_name, e, _provided_hint(e)),
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise faults.Fault(
            faults.USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '%s': %s" % (module_name, e),
            trace,
        )
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise faults.Fault(
            faults.HANDLER_NOT_FOUND,
            "Handler '%s' missing on module '%s'" % (function_name, module_name),
        )


# Modules Lambda's Python runtimes provide without the function listing them.
_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3")


def _provided_hint(error):
    """_provided_hint explains a missing module that Lambda's runtime would
    have provided: here it comes from the interpreter's own site-packages."""
    name = (getattr(error, "name", None) or "").split(".")[0]
    if name not in _PROVIDED:
        return ""
    return (
        " (lambdadeck: %s is provided by Lambda's Python runtime, but not installed for %s; "
        "install it with `%s -m pip install boto3`, or add it to the function's requirements.txt)"
        % (name, sys.executable, sys.executable)
    )


def _init(client, logs, encoder, handler_name):
    """_init loads the handler; on failure it reports the init error to the
    Runtime API and exits with status 1, as Lambda's runtime does."""
    try:
        return load_handler(handler_name)
    except Exception as e:
        if isinstance(e, faults.Fault):
            document = faults.error_document(e.message, e.error_type, e.trace)
        else:
            document, _ = faults.from_exception(e)
        logs.warn_unhandled()
        logs.log_unhandled(document)
        logs.flush()
        client.post_init_error(_encode_document(encoder, document), document["errorType"])
    sys.exit(1)


def handle_event_request(client, logs, encoder, request_handler, invocation):
    """handle_event_request runs the handler on one invocation and posts its
    outcome. An exception from the handler is reported and the process goes
    on."""
    logs.state.request_id = invocation.request_id
    logs.state.tenant_id = invocation.tenant_id
    if invocation.trace_id is not None:
        os.environ["_X_AMZN_TRACE_ID"] = invocation.trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    document = None
    try:
        lambda_context = LambdaContext(
            invocation.request_id,
            _parse_header(invocation.client_context, "Client Context"),
            _parse_header(invocation.cognito_identity, "Cognito Identity"),
            invocation.deadline_ms,
            invocation.invoked_function_arn,
            invocation.tenant_id,
        )
        event = payload.unmarshal_event(invocation.body, invocation.content_type)
        response = request_handler(event, lambda_context)
        body, content_type = payload.marshal_result(encoder, response)
    except faults.Fault as fault:
        document = faults.error_document(
            fault.message, fault.error_type, fault.trace, invocation.request_id
        )
        cause = faults.xray_cause("LambdaValidationError", fault.message, [])
    except Exception as e:
        document, cause = faults.from_exception(e, invocation.request_id)

    if document is None:
        logs.flush()
        client.post_response(invocation.request_id, body, content_type)
        return
    logs.log_unhandled(document)
    logs.flush()
    # The header must stay ASCII, whatever the message holds.
    client.post_error(
        invocation.request_id, _encode_document(encoder, document), json.dumps(cause)
    )


def _parse_header(value, name):
    if not value:
        return None
    try:
        return json.loads(value)
    except Exception as e:
        raise faults.Fault(
            faults.CONTEXT_UNMARSHAL_ERROR, "Unable to parse %s JSON: %s" % (name, e)
        )


def _encode_document(encoder, document):
    # backslashreplace: a lone surrogate in a message must not stop the report.
    return encoder.encode(document).encode("utf-8", "backslashreplace")


def _die(message):
    sys.stderr.write("lambdadeck python runtime: %s\n" % message)
    sys.stderr.flush()
    sys.exit(1)
