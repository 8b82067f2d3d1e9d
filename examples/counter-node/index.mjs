// Code outside the handler runs once, when Lambda starts an instance of the
// function (a cold start). The instance then stays warm and serves the next
// invocations, keeping module-level variables. Invoke this a few times in a
// row: invocations grows and coldStart is true only the first time.
//
// The .mjs extension makes this file an ES module, so it can use `export`.

let invocations = 0;

export const handler = async () => {
  invocations += 1;
  return { invocations, coldStart: invocations === 1 };
};
