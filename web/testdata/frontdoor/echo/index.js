// Echoes the event back: REST and 1.0 events with multiValueHeaders,
// 2.0 events with cookies. ?status= picks the status code.
exports.handler = async (event) => {
  const q = event.queryStringParameters || {};
  const resp = {
    statusCode: Number(q.status || 200),
    headers: { "Content-Type": "application/json", "X-Route": event.resource || event.routeKey || "" },
    body: JSON.stringify({ event }),
  };
  if (event.version === "2.0") {
    resp.cookies = ["a=1; Path=/", "b=2"];
  } else {
    resp.multiValueHeaders = { "Set-Cookie": ["a=1", "b=2"], "X-Multi": ["x", "y"] };
  }
  return resp;
};
