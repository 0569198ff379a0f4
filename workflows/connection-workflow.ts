/**
 * One durable workflow per connection (DESIGN.md §4.1). It sleeps until shortly before the token
 * expires, renews it through an activity, shares one renewal among concurrent `refresh` Updates,
 * leaves connections nobody reads to a keep-alive (REFRESH_POLICY=by-use), stops calling the provider
 * once the credentials are invalid, and ends when the connection is deleted. The state and what each
 * event does to it live in ConnectionLifecycle; this is the lifecycle's loop.
 */
import { allHandlersFinished, condition, continueAsNew, log, setHandler } from '@temporalio/workflow';
import { ConnectionLifecycle } from './connection-lifecycle';
import { addressedRefreshUpdate, credentialsReplacedSignal, deletedSignal, markInvalidSignal, stateQuery, type ConnectionWorkflowInput } from './connection-messages';

export { CYCLES_PER_RUN } from './connection-lifecycle';

export async function connectionWorkflow(input: ConnectionWorkflowInput): Promise<void> {
  const connection = new ConnectionLifecycle(input);
  // Handlers are registered before the first await so an Update or signal that started this run is not rejected.
  setHandler(addressedRefreshUpdate, (request) => connection.requestedRefresh(request), { validator: (request) => connection.acceptRefresh(request) });
  setHandler(credentialsReplacedSignal, (stored) => connection.onReplaced(stored));
  setHandler(markInvalidSignal, ({ reason }) => connection.onReportedInvalid(reason));
  setHandler(deletedSignal, (addressee) => connection.onDeleted(addressee));
  setHandler(stateQuery, () => connection.view());

  await connection.loaded;
  connection.publishUnlessDue();
  while (!connection.deleted) {
    const wake = await connection.waitForNextStep();
    if (connection.deleted) break;
    await connection.step(wake);
    connection.publish();
    if (connection.runIsFull) {
      await condition(allHandlersFinished);
      if (connection.deleted) break;
      log.info('continuing as new');
      await continueAsNew<typeof connectionWorkflow>(connection.carried());
    }
  }
  await condition(allHandlersFinished);
}
