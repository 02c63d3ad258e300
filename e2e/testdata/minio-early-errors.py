# boto3 (Debian python3-boto3) against the object store over TLS, for e2e/test/minio-early-errors.test.ts.
# Usage: minio-early-errors.py ENDPOINT CA_FILE BIG_FILE. Sends PutObject and UploadPart requests of
# BIG_FILE's size that the server refuses before reading their body, and prints one JSON object: for
# each case the S3 error code and status boto3 raised, or the transport error it failed with instead.
# Bodies are open files (boto3 then sends `Expect: 100-continue`) unless the case says bytes.
import json
import os
import sys

from botocore.exceptions import ClientError
from s3client import client, error_fields

endpoint, ca_file, big = sys.argv[1], sys.argv[2], sys.argv[3]


s3 = client(endpoint, verify=ca_file)
bad = client(endpoint, "not-the-secret", verify=ca_file)
out = {}


def outcome(call):
    try:
        call()
    except ClientError as err:
        return error_fields(err)
    except Exception as err:  # the transport failure we must never see
        return {"transport": f"{type(err).__name__}: {err}"}
    return {"code": "no error", "status": 200}


def with_body(fn):
    with open(big, "rb") as body:
        return fn(body)


s3.create_bucket(Bucket="early")
ssec_key = os.urandom(32)
ssec = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": ssec_key}
upload = s3.create_multipart_upload(Bucket="early", Key="ssec", **ssec)["UploadId"]

put_cases = {
    "missing_bucket": (s3, {"Bucket": "no-such-bucket"}),
    "storage_class": (s3, {"StorageClass": "GLACIER"}),
    "ssec_short_key": (s3, {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": os.urandom(16)}),
    "kms_key_not_found": (s3, {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "no-such-key"}),
    "bad_signature": (bad, {}),
}
for name, (c, extra) in put_cases.items():
    args = {"Bucket": "early", "Key": "big", **extra}
    out[f"put_{name}"] = outcome(lambda: with_body(lambda b: c.put_object(Body=b, **args)))

part_cases = {
    "no_such_upload": (s3, {"UploadId": "no-such-upload"}),
    "part_number": (s3, {"PartNumber": 10001, **ssec}),
    "ssec_wrong_key": (s3, {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": os.urandom(32)}),
    "ssec_missing": (s3, {}),
    "bad_signature": (bad, ssec),
}
for name, (c, extra) in part_cases.items():
    args = {"Bucket": "early", "Key": "ssec", "UploadId": upload, "PartNumber": 1, **extra}
    out[f"part_{name}"] = outcome(lambda: with_body(lambda b: c.upload_part(Body=b, **args)))

# A client that sends the body without waiting (bytes bodies carry no Expect header in botocore).
with open(big, "rb") as f:
    data = f.read()
out["put_bytes_missing_bucket"] = outcome(lambda: s3.put_object(Bucket="no-such-bucket", Key="big", Body=data))

print(json.dumps(out))
