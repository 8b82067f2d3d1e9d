// Waits event.ms milliseconds before answering, 5000 by default. The function's
// Timeout in template.yaml is 1 second, so by default Lambda stops it and
// reports "Task timed out after 1.00 seconds". Invoke it with {"ms": 200}
// to see it succeed.
exports.handler = async (event) => {
  const ms = event?.ms ?? 5000;
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { sleptMs: ms };
};
