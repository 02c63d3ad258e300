import { describe, expect, it } from 'vitest';
import * as policy from './index.js';

describe('@kms-chain/policy public surface', () => {
  it('exports the names apps/kes and apps/vault are written against', () => {
    for (const name of [
      'KesPolicy',
      'kesPathMatch',
      'validateKesPattern',
      'parseVaultPolicy',
      'VaultAcl',
      'DEFAULT_POLICY_HCL',
      'PolicyError',
      'HclError',
      'parseHcl',
      'parseHclDocument',
      'hclBlocks',
      'hclLabeledBlocks',
      'goPathMatch',
    ]) {
      expect(policy, name).toHaveProperty(name);
    }
  });

  it('works end to end: config-file KES policy and a Vault token ACL', () => {
    const kes = new policy.KesPolicy('minio', { allow: ['/v1/key/generate/minio-*'], deny: [] }, 'prefix');
    expect(kes.isAllowed('/v1/key/generate/minio-key')).toBe(true);
    const acl = new policy.VaultAcl([
      policy.parseVaultPolicy('default', policy.DEFAULT_POLICY_HCL),
      policy.parseVaultPolicy(
        'kes',
        'path "kv/minio/*" { capabilities = ["create", "read", "delete", "list"] }',
      ),
    ]);
    expect(acl.isAllowed('list', 'kv/minio')).toBe(true);
    expect(acl.capabilities('kv/minio/k')).toEqual(['create', 'delete', 'list', 'read']);
    expect(() => policy.parseVaultPolicy('x', 'path "kv/*" { capabilities = ["foo"] }')).toThrow(
      new policy.PolicyError('failed to parse policy: path "kv/*": invalid capability "foo"'),
    );
  });
});
