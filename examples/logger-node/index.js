// Everything a handler writes to the console ends up in the invocation's logs.
// Lambda prefixes each record with a timestamp, the request id and a level:
//   2024-05-01T10:00:00.123Z  6f1b...  INFO  Processing order 42
exports.handler = async (event, context) => {
  // console.log and console.info are both logged at INFO. Extra arguments
  // are formatted like util.format: objects are printed, not "[object Object]".
  console.log("Received event:", event);
  console.info("console.info is logged at INFO, like console.log");
  console.warn("console.warn is logged at WARN");
  console.error("console.error is logged at ERROR");
  console.debug("console.debug is logged at DEBUG");

  // A message with line breaks stays one log record: Lambda replaces each
  // "\n" inside it with "\r", so log tools do not split it.
  console.log("A multi-line message:\n  first detail\n  second detail");

  // Objects are printed in full, nested values included.
  console.log({ order: { id: 42, items: ["book", "pen"] }, paid: true });

  return {
    linesLogged: 7,
    levels: ["INFO", "WARN", "ERROR", "DEBUG"],
    requestId: context.awsRequestId,
  };
};
