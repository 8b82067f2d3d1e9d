import ms from "ms";

interface Event {
  fail?: boolean;
}

export const handler = async (event: Event): Promise<{ seconds: number }> => {
  if (event.fail) {
    throw new Error("failed on purpose");
  }
  return { seconds: ms("1m") / 1000 };
};
