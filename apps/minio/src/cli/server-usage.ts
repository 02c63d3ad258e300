// `minio server --help`: kept apart from server.ts so that help and `minio kms` do not load the server.
export const serverUsage = `NAME:
  minio server - start object storage server

USAGE:
  minio server [FLAGS] DIR

FLAGS:
  --address value    bind to a specific ADDRESS:PORT, ADDRESS can be an IP or hostname (default: ":9000")
  --certs-dir value  path to certs directory with public.crt and private.key (default: "~/.minio/certs")
  --json             log lines as JSON (as MINIO_LOG_FORMAT=json)
  --help, -h         show help

ENVIRONMENT VARIABLES:
  MINIO_ROOT_USER, MINIO_ROOT_PASSWORD   root credentials (legacy: MINIO_ACCESS_KEY, MINIO_SECRET_KEY)
  MINIO_SITE_REGION                      region (default us-east-1)
  MINIO_DOMAIN                           domain(s) for virtual-host-style bucket addressing
  MINIO_KMS_KES_ENDPOINT, MINIO_KMS_KES_KEY_NAME, MINIO_KMS_KES_CAPATH   a KES server for SSE-S3/SSE-KMS,
  with MINIO_KMS_KES_API_KEY=kes:v1:… or MINIO_KMS_KES_CERT_FILE, MINIO_KMS_KES_KEY_FILE[,
  MINIO_KMS_KES_KEY_PASSWORD] (re-read when they change, every 15 min and on SIGHUP)
  MINIO_KMS_SECRET_KEY[_FILE]=name:base64, MINIO_KMS_MASTER_KEY[_FILE]=name:hex   or one static key
  MINIO_KMS_AUTO_ENCRYPTION=on           encrypt every new object (SSE-KMS with the default key)
  MINIO_API_SSEC_ALLOW_INSECURE=on       accept SSE-C over plain HTTP (only behind a TLS-terminating proxy)
  MINIO_AUDIT_WEBHOOK_ENABLE[_ID]=on, MINIO_AUDIT_WEBHOOK_ENDPOINT[_ID]   audit entries to a webhook, with
  _AUTH_TOKEN, _CLIENT_CERT, _CLIENT_KEY, _BATCH_SIZE, _QUEUE_SIZE, _HTTP_TIMEOUT[_ID]
  MINIO_AUDIT_FILE_ENABLE=on, MINIO_AUDIT_FILE_PATH   audit entries as JSON lines to a file (not in MinIO)
  MINIO_PROMETHEUS_AUTH_TYPE=public      /minio/v2/metrics/* without the bearer token (default jwt)
`;
