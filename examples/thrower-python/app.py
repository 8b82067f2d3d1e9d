# When a handler raises, Lambda catches the exception and answers with an
# error instead of a result:
#   {"errorType": "OrderRejected", "errorMessage": "...", "stackTrace": [...]}
# errorType is the exception's class name, errorMessage is str(exception),
# and stackTrace lists the frames from the handler down to the raise.


class OrderRejected(Exception):
    """An error of our own: its class name becomes the errorType."""


def handler(event, context):
    event = event if isinstance(event, dict) else {}
    order_id = event.get('orderId', 'unknown')
    reason = event.get('reason', 'no reason given')
    check_order(order_id, reason)
    return {'accepted': order_id}


def check_order(order_id, reason):
    raise OrderRejected(f'order {order_id} rejected: {reason}')
