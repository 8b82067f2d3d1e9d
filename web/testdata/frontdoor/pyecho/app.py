"""Echoes the event back, from Python."""
import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Runtime": "python"},
        "body": json.dumps({"event": event, "requestId": context.aws_request_id}),
    }
