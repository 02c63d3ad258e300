// Memory figures of a child process from Linux's /proc.
import { readFile, writeFile } from 'node:fs/promises';

/** Peak resident set size (VmHWM) of `pid` in MiB, or undefined where /proc cannot tell. */
export async function peakRssMiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resets the kernel's peak-RSS mark (VmHWM) of `pid` by writing 5 to its clear_refs (Linux ≥ 4.0).
 * Returns false where that is not allowed or not Linux; the peak then counts from process start.
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
