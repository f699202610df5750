/**
 * @module loadgen/fleet-process
 * Child-process entry of a fleet spread over several processes
 * (`processes` > 1): runs the worker threads it is given and relays their
 * reports unchanged over the IPC channel, so the fleet merges them exactly
 * as it merges its own threads' reports. Leaves when told to stop or when
 * the parent goes away.
 */
import { ThreadGroup } from './thread-group';
import type { FromFleetProcess, ToFleetProcess } from './messages';

let group: ThreadGroup | undefined;

function send(message: FromFleetProcess, then?: () => void): void {
  if (!process.connected) return;
  process.send?.(message, undefined, {}, () => then?.());
}

async function stopAndLeave(): Promise<void> {
  await group?.stop();
  group = undefined;
  // Messages on one channel arrive in order: `stopped` follows every final report.
  send({ kind: 'stopped' }, () => process.disconnect());
}

process.on('message', (m: ToFleetProcess) => {
  if (m.kind === 'init' && !group) group = new ThreadGroup(m.options, m.workerIndices, m.workerCount, (r) => send(r));
  else if (m.kind === 'stop') void stopAndLeave();
});
// The fleet's process ended (or disconnected after `stopped`): nothing left to report to.
process.on('disconnect', () => process.exit(0));
