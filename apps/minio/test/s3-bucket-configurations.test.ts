// The bucket configurations this server never keeps, read with the AWS SDK v3 as MinIO answers a bucket
// without them (docs/s3.md#configurations-never-set); writing them stays NotImplemented.
import {
  CreateBucketCommand,
  GetBucketAccelerateConfigurationCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketReplicationCommand,
  GetBucketRequestPaymentCommand,
  GetBucketWebsiteCommand,
  GetObjectLockConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

let srv: TestServer;
const Bucket = 'configs';

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket }));
});
afterAll(async () => {
  await srv.close();
});

describe('configurations a bucket never has', () => {
  it.each([
    ['cors', () => new GetBucketCorsCommand({ Bucket }), 'NoSuchCORSConfiguration'],
    ['website', () => new GetBucketWebsiteCommand({ Bucket }), 'NoSuchWebsiteConfiguration'],
    [
      'lifecycle',
      () => new GetBucketLifecycleConfigurationCommand({ Bucket }),
      'NoSuchLifecycleConfiguration',
    ],
    [
      'object lock',
      () => new GetObjectLockConfigurationCommand({ Bucket }),
      'ObjectLockConfigurationNotFoundError',
    ],
    [
      'replication',
      () => new GetBucketReplicationCommand({ Bucket }),
      'ReplicationConfigurationNotFoundError',
    ],
  ])('%s: 404 with the not-found code MinIO sends', async (_what, command, name) => {
    await expect(srv.s3.send(command() as never)).rejects.toMatchObject({
      name,
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('notification, accelerate, logging and request payment: their empty defaults', async () => {
    const notification = await srv.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket }));
    expect([notification.TopicConfigurations, notification.QueueConfigurations]).toEqual([
      undefined,
      undefined,
    ]);
    const accelerate = await srv.s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket }));
    expect(accelerate.Status).toBeUndefined();
    const logging = await srv.s3.send(new GetBucketLoggingCommand({ Bucket }));
    expect(logging.LoggingEnabled).toBeUndefined();
    const payment = await srv.s3.send(new GetBucketRequestPaymentCommand({ Bucket }));
    expect(payment.Payer).toBe('BucketOwner');
  });

  it('NoSuchBucket on a bucket that does not exist; writes stay NotImplemented', async () => {
    for (const query of ['cors', 'lifecycle', 'requestPayment']) {
      const res = await send(srv.port, { method: 'GET', path: '/nobucket', query });
      expect([query, res.status, errorCode(res.body)]).toEqual([query, 404, 'NoSuchBucket']);
    }
    await expect(
      srv.s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: {
            Rules: [{ ID: 'r', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotImplemented' });
  });

  it('anonymous reads are refused without a policy', async () => {
    const res = await fetch(`${srv.endpoint}/${Bucket}?lifecycle`);
    expect(res.status).toBe(403);
  });
});
