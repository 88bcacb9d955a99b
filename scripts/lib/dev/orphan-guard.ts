// Preloaded (--import) into every service that `npm run dev` starts. The runner spawns each service
// in its own process group, so a terminal's Ctrl-C reaches only the runner, which then stops each
// service once. If the runner dies without stopping them (SIGKILL, a crash, tsx's own SIGKILL), the
// service would live on holding its ports: this notices that its parent changed and sends the
// service the SIGTERM the runner would have sent, so it drains and exits as on a normal stop.
const expected = Number(process.env.SHOPMESH_DEV_PARENT_PID);
const POLL_MS = 250;

function parentGone(): boolean {
  // Read on each call: a process whose parent died is re-parented (to init or a subreaper).
  return Number.isInteger(expected) && expected > 0 && process.ppid !== expected;
}

let sent = false;
function check(): void {
  if (sent || !parentGone()) return;
  sent = true;
  process.kill(process.pid, 'SIGTERM');
}

if (Number.isInteger(expected) && expected > 0) {
  check();
  setInterval(check, POLL_MS).unref();
}

export {};
