// An ES module: it finds ms only in a node_modules above it (ES modules
// ignore NODE_PATH).
import ms from "ms";

export const handler = async () => {
  let devDependency = "absent";
  try {
    await import("left-pad");
    devDependency = "present";
  } catch {}
  return { twoHours: ms("2h"), devDependency, taskRoot: process.env.LAMBDA_TASK_ROOT, cwd: process.cwd() };
};
