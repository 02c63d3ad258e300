// Vault server configs (HCL) for the etcd storage tests, drills and benchmark: one listener on
// 127.0.0.1, Vault's `storage "etcd"` block, `api_addr` the listener's URL and `cluster_addr` the
// next port (as Vault derives it), mlock off. TLS when a certificate is given.

export interface EtcdVaultConfig {
  /** Comma-separated etcd client URLs. */
  etcdAddress: string;
  port: number;
  /** Key prefix in etcd (Vault's default `/vault/`). */
  path?: string;
  haEnabled?: boolean;
  /** Go duration, e.g. `3s` (Vault's default 15s). */
  lockTimeout?: string;
  /** Further lines inside the storage block (e.g. `request_timeout = "2s"`). */
  storageExtra?: string;
  tls?: { certFile: string; keyFile: string };
  /** How Vault reaches a TLS etcd: `tls_ca_file`, `tls_cert_file`, `tls_key_file`, `tls_server_name`. */
  etcdTls?: { caFile?: string; certFile?: string; keyFile?: string; serverName?: string };
  /** etcd's user and password (`username`, `password`). */
  etcdAuth?: { username: string; password: string };
}

export function etcdVaultConfig(c: EtcdVaultConfig): string {
  const scheme = c.tls ? 'https' : 'http';
  const storage = [
    `  address      = "${c.etcdAddress}"`,
    ...(c.path ? [`  path         = "${c.path}"`] : []),
    ...(c.haEnabled ? ['  ha_enabled   = "true"'] : []),
    ...(c.lockTimeout ? [`  lock_timeout = "${c.lockTimeout}"`] : []),
    ...(c.etcdTls?.caFile ? [`  tls_ca_file  = "${c.etcdTls.caFile}"`] : []),
    ...(c.etcdTls?.certFile ? [`  tls_cert_file = "${c.etcdTls.certFile}"`] : []),
    ...(c.etcdTls?.keyFile ? [`  tls_key_file = "${c.etcdTls.keyFile}"`] : []),
    ...(c.etcdTls?.serverName ? [`  tls_server_name = "${c.etcdTls.serverName}"`] : []),
    ...(c.etcdAuth
      ? [`  username     = "${c.etcdAuth.username}"`, `  password     = "${c.etcdAuth.password}"`]
      : []),
    ...(c.storageExtra ? [`  ${c.storageExtra}`] : []),
  ];
  const listener = c.tls
    ? [`  tls_cert_file = "${c.tls.certFile}"`, `  tls_key_file  = "${c.tls.keyFile}"`]
    : ['  tls_disable = 1'];
  return `storage "etcd" {
${storage.join('\n')}
}
listener "tcp" {
  address = "127.0.0.1:${c.port}"
${listener.join('\n')}
}
api_addr      = "${scheme}://127.0.0.1:${c.port}"
cluster_addr  = "https://127.0.0.1:${c.port + 1}"
disable_mlock = true
`;
}
