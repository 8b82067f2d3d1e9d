// A response streaming Function URL: the prelude, a first chunk, then the
// second chunk once the file named by ?gate= exists (so a test can prove
// the first chunk arrived before the handler finished).
const fs = require("fs");

exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { "Content-Type": "text/plain", "X-Streamed": "yes" },
    cookies: ["s=1"],
  });
  responseStream.write("first\n");
  const gate = (event.queryStringParameters || {}).gate;
  for (let i = 0; gate && i < 600 && !fs.existsSync(gate); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  responseStream.write("second\n");
  responseStream.end();
});
