// CPU time for the NATS benchmarks (nats.mjs, nats-transport.mjs): this process's, and another
// process's (nats-server) from /proc, so that an overhead splits into work and waiting.
import { readFileSync } from 'node:fs';

/** User + system CPU ms of this process (all its threads). */
export function nodeCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** utime + stime of process `pid` from /proc (clock ticks of 10 ms), NaN where /proc is not there. */
export function procCpuMs(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}
