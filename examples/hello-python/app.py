# The smallest useful Lambda handler in Python. Lambda imports this module
# (Handler: app.handler) and calls handler(event, context); the returned dict
# is sent back as JSON. This shape (statusCode and a string body) is what
# API Gateway expects.
import json


def handler(event, context):
    return {'statusCode': 200, 'body': json.dumps({'message': 'Your Lambda function has successfully executed!'})}
