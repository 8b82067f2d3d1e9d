// A bug a few calls deep: the handler trusts its input. With the sample
// event, the second item has no price, so priceOf reads .amount of undefined
// and throws a TypeError; an event without items fails one call earlier, in
// orderTotal. Lambda answers with
//   {"errorType": "TypeError", "errorMessage": "...", "trace": [...]}
// where trace is the stack, innermost frame first: priceOf, then orderTotal,
// then the handler.

function priceOf(item) {
  return item.price.amount;
}

function orderTotal(order) {
  return order.items.reduce((sum, item) => sum + priceOf(item), 0);
}

exports.handler = async (event) => {
  return { total: orderTotal(event ?? {}) };
};
