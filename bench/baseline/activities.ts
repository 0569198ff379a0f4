/** The baseline's one activity: it waits as long as the storm's provider takes to answer. */
export const baselineActivities = {
  async pause(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  },
};

export type BaselineActivities = typeof baselineActivities;
