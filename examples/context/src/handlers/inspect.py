# Shows what a handler can see: the event, the context object Lambda passes
# as the second argument, and the environment. The handler lives in a
# package (src/handlers/inspect.py, with __init__.py files), so the template
# says Handler: src/handlers/inspect.handler.
import os

# Environment variables to show. Lambda sets the AWS_* ones and TZ;
# GREETING and API_TOKEN come from Environment.Variables in template.yaml.
ENV_VARS = (
    'AWS_REGION',
    'AWS_LAMBDA_FUNCTION_NAME',
    'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
    'TZ',
    'GREETING',
    'API_TOKEN',
)

CLIENT_FIELDS = ('installation_id', 'app_title', 'app_version_name', 'app_version_code', 'app_package_name')


def handler(event, context):
    return {
        'event': event,
        'context': {
            'aws_request_id': context.aws_request_id,
            'function_name': context.function_name,
            'function_version': context.function_version,
            'invoked_function_arn': context.invoked_function_arn,
            'memory_limit_in_mb': context.memory_limit_in_mb,  # a string, e.g. "128"
            'log_group_name': context.log_group_name,
            'log_stream_name': context.log_stream_name,
            # Milliseconds left before the function's Timeout.
            'remaining_time_in_millis': context.get_remaining_time_in_millis(),
            'identity': identity(context.identity),
            'client_context': client_context(context.client_context),
        },
        'env': {name: os.environ.get(name) for name in ENV_VARS},
    }


def identity(ident):
    """The Cognito identity, set when a mobile SDK invokes the function."""
    if ident is None:
        return None
    return {
        'cognito_identity_id': ident.cognito_identity_id,
        'cognito_identity_pool_id': ident.cognito_identity_pool_id,
    }


def client_context(ctx):
    """The client context a mobile SDK may send; None for most invocations."""
    if ctx is None:
        return None
    client = ctx.client
    return {
        'client': None if client is None else {f: getattr(client, f, None) for f in CLIENT_FIELDS},
        'custom': ctx.custom,
        'env': ctx.env,
    }
