// One handler per front-door edge case, chosen by the route.
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);

exports.handler = async (event) => {
  const route = event.resource || event.rawPath || "";
  if (route.endsWith("/plain")) return { hello: "world" };
  if (route.endsWith("/plainstring")) return "just a string";
  if (route.endsWith("/fail")) throw new Error("the handler failed");
  if (route.endsWith("/malformed")) return { nope: true };
  if (route.endsWith("/slow")) {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    return { statusCode: 200, body: "late" };
  }
  if (route.endsWith("/image")) {
    // Echo the request body's bytes back, as a PNG.
    const got = event.body ? Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8") : PNG;
    return {
      statusCode: 200,
      headers: { "Content-Type": "image/png", "X-Got-Base64": String(event.isBase64Encoded) },
      body: got.toString("base64"),
      isBase64Encoded: true,
    };
  }
  return { statusCode: 404, body: "no such case" };
};

// Outlasts the test's integration timeout (REST: 504), within its own.
exports.slow = async () => {
  await new Promise((resolve) => setTimeout(resolve, 30000));
  return { statusCode: 200, body: "late" };
};
