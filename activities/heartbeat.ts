/** Heartbeats of an activity that waits on a provider. */
import { Context } from '@temporalio/activity';

/**
 * Heartbeats every second until the returned function is called. With the activity's heartbeat timeout
 * (a few seconds) a crashed worker's attempt is retried within seconds, while a live worker waiting on
 * a slow provider keeps its attempt alive for as long as its call may take.
 */
export function heartbeatWhileRunning(): () => void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return () => undefined; // called outside an activity (unit tests)
  }
  const timer = setInterval(() => context.heartbeat(), 1_000);
  return () => clearInterval(timer);
}
