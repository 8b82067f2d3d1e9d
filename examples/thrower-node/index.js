// A bug a few calls deep: the sample event has an item without a price, so
// priceOf reads .amount of undefined and throws a TypeError. Lambda answers
// with {"errorType": "TypeError", "errorMessage": "...", "trace": [...]}
// where trace is the stack, innermost frame first: priceOf, then
// orderTotal, then the handler.

function priceOf(item) {
  return item.price.amount;
}

function orderTotal(order) {
  return (order.items ?? []).reduce((sum, item) => sum + priceOf(item), 0);
}

exports.handler = async (event) => {
  return { total: orderTotal(event ?? {}) };
};
