// Bringing up the nodes of an HA Vault as `npm start -- --ha` and compose's `ha` profile do: the
// first node is initialised (or found initialised) and unsealed from the dev-only share file, takes
// the HA lock, and only then are the others unsealed — so whoever sets Vault up next talks to the
// active node, not to a standby that would answer 307.
import { initAndUnseal } from './guide-setup.js';
import { httpsJson, type TlsOptions } from './https-json.js';

/** Resolves once the node at `vaultAddr` is the active one (sys/health 200); rejects after `timeoutMs`. */
export async function waitForActiveVault(
  vaultAddr: string,
  ca: TlsOptions['ca'],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await httpsJson(`${vaultAddr}/v1/sys/health`, { ca, timeoutMs: 2_000 }).catch(
      () => undefined,
    );
    if (res?.status === 200) return;
    if (Date.now() > deadline)
      throw new Error(`vault: ${vaultAddr} did not become the active node within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * initAndUnseal on the first of `vaultAddrs`, waits until it is active, then unseals each other
 * node with the same shares. With one address it is initAndUnseal.
 * @throws as initAndUnseal, or when the first node does not become active within `timeoutMs`.
 */
export async function initAndUnsealNodes(
  vaultAddrs: string[],
  ca: string | Buffer,
  shareFile: string,
  timeoutMs = 60_000,
): Promise<{ rootToken: string; initializedNow: boolean }> {
  const [first, ...others] = vaultAddrs;
  if (!first) throw new Error('vault: no node address');
  const result = await initAndUnseal(first, ca, shareFile);
  if (others.length === 0) return result;
  await waitForActiveVault(first, ca, timeoutMs);
  for (const addr of others) await initAndUnseal(addr, ca, shareFile);
  return result;
}
