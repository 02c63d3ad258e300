# boto3 (Debian python3-boto3) against the object store, for e2e/test/minio-boto3.test.ts.
# Usage: minio-boto3.py ENDPOINT WORKDIR. Runs each client operation and prints one JSON object of what
# the server answered; the TypeScript test holds the expectations. Large bodies are compared here by
# MD5 so that only digests cross over.
import hashlib
import json
import os
import sys
import urllib.request

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from s3client import client, error_fields

endpoint, work = sys.argv[1], sys.argv[2]
s3 = client(endpoint)
out = {}


def error_of(call):
    try:
        call()
    except ClientError as err:
        return error_fields(err)
    return None


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


s3.create_bucket(Bucket="boto")
out["buckets"] = [b["Name"] for b in s3.list_buckets()["Buckets"]]

put = s3.put_object(
    Bucket="boto",
    Key="dir/hello.txt",
    Body=b"hello from boto3",
    ContentType="text/plain",
    Metadata={"color": "blue"},
)
out["put_etag"] = put["ETag"]

got = s3.get_object(Bucket="boto", Key="dir/hello.txt")
out["get"] = {
    "body": got["Body"].read().decode(),
    "type": got["ContentType"],
    "meta": got["Metadata"],
    "etag": got["ETag"],
    "length": got["ContentLength"],
}

head = s3.head_object(Bucket="boto", Key="dir/hello.txt")
out["head"] = {"length": head["ContentLength"], "etag": head["ETag"], "meta": head["Metadata"]}

ranged = s3.get_object(Bucket="boto", Key="dir/hello.txt", Range="bytes=6-9")
out["range"] = {"body": ranged["Body"].read().decode(), "content_range": ranged["ContentRange"]}

for i in range(5):
    s3.put_object(Bucket="boto", Key=f"many/{i}", Body=str(i).encode())
pages = s3.get_paginator("list_objects_v2").paginate(Bucket="boto", Prefix="many/", PaginationConfig={"PageSize": 2})
out["paged"] = [[o["Key"] for o in page.get("Contents", [])] for page in pages]
top = s3.list_objects_v2(Bucket="boto", Delimiter="/")
out["delimited"] = {
    "keys": [o["Key"] for o in top.get("Contents", [])],
    "prefixes": [p["Prefix"] for p in top.get("CommonPrefixes", [])],
}

copied = s3.copy_object(
    Bucket="boto",
    Key="copy.txt",
    CopySource={"Bucket": "boto", "Key": "dir/hello.txt"},
    MetadataDirective="REPLACE",
    Metadata={"color": "red"},
    ContentType="text/x-copy",
)
copy_head = s3.head_object(Bucket="boto", Key="copy.txt")
out["copy"] = {
    "etag": copied["CopyObjectResult"]["ETag"],
    "meta": copy_head["Metadata"],
    "type": copy_head["ContentType"],
}

# upload_file switches to multipart above the threshold; download_file reads back in ranged parts.
big = os.path.join(work, "big.bin")
with open(big, "wb") as f:
    for i in range(12):
        f.write(hashlib.sha256(str(i).encode()).digest() * (1 << 15))
transfer = TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20, max_concurrency=3)
s3.upload_file(big, "boto", "big.bin", Config=transfer)
big_head = s3.head_object(Bucket="boto", Key="big.bin")
s3.download_file("boto", "big.bin", os.path.join(work, "big.out"), Config=transfer)
out["multipart"] = {
    "etag": big_head["ETag"],
    "length": big_head["ContentLength"],
    "same": md5_file(big) == md5_file(os.path.join(work, "big.out")),
}
part2 = s3.get_object(Bucket="boto", Key="big.bin", PartNumber=2)
out["part2"] = {
    "status": part2["ResponseMetadata"]["HTTPStatusCode"],
    "length": part2["ContentLength"],
    "range": part2["ContentRange"],
    "parts": part2["PartsCount"],
    "md5": hashlib.md5(part2["Body"].read()).hexdigest(),
}
out["part9"] = error_of(lambda: s3.head_object(Bucket="boto", Key="big.bin", PartNumber=9))
s3.copy({"Bucket": "boto", "Key": "big.bin"}, "boto", "big-copy.bin", Config=transfer)
out["managed_copy_length"] = s3.head_object(Bucket="boto", Key="big-copy.bin")["ContentLength"]

s3.put_object(Bucket="boto", Key="tagged.txt", Body=b"t", Tagging="team=storage&tier=hot")
tags_before = s3.get_object_tagging(Bucket="boto", Key="tagged.txt")["TagSet"]
s3.put_object_tagging(Bucket="boto", Key="tagged.txt", Tagging={"TagSet": [{"Key": "team", "Value": "kms"}]})
tags_after = s3.get_object_tagging(Bucket="boto", Key="tagged.txt")["TagSet"]
tag_count = s3.get_object(Bucket="boto", Key="tagged.txt")["TagCount"]
s3.delete_object_tagging(Bucket="boto", Key="tagged.txt")
out["tagging"] = {
    "before": tags_before,
    "after": tags_after,
    "count": tag_count,
    "deleted": s3.get_object_tagging(Bucket="boto", Key="tagged.txt")["TagSet"],
}
s3.delete_object(Bucket="boto", Key="tagged.txt")

bucket_acl = s3.get_bucket_acl(Bucket="boto")
out["acl"] = {
    "owner": bucket_acl["Owner"]["ID"],
    "grants": [[g["Grantee"]["Type"], g["Grantee"]["ID"], g["Permission"]] for g in bucket_acl["Grants"]],
    "object_grants": [g["Permission"] for g in s3.get_object_acl(Bucket="boto", Key="dir/hello.txt")["Grants"]],
    "put_private": s3.put_bucket_acl(Bucket="boto", ACL="private")["ResponseMetadata"]["HTTPStatusCode"],
    "put_public": error_of(lambda: s3.put_object_acl(Bucket="boto", Key="dir/hello.txt", ACL="public-read")),
}
out["policy"] = error_of(lambda: s3.get_bucket_policy(Bucket="boto"))
out["versioning"] = s3.get_bucket_versioning(Bucket="boto").get("Status")

get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "boto", "Key": "dir/hello.txt"}, ExpiresIn=300)
with urllib.request.urlopen(get_url) as res:
    out["presigned_get"] = res.read().decode()
put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "boto", "Key": "presigned.txt"}, ExpiresIn=300)
with urllib.request.urlopen(urllib.request.Request(put_url, data=b"put via a presigned URL", method="PUT")) as res:
    out["presigned_put_status"] = res.status
out["presigned_put_body"] = s3.get_object(Bucket="boto", Key="presigned.txt")["Body"].read().decode()

deleted = s3.delete_objects(
    Bucket="boto",
    Delete={"Objects": [{"Key": f"many/{i}"} for i in range(5)] + [{"Key": "never-was"}]},
)
out["deleted"] = sorted(d["Key"] for d in deleted.get("Deleted", []))
out["after_delete"] = [o["Key"] for o in s3.list_objects_v2(Bucket="boto").get("Contents", [])]

out["missing_get"] = error_of(lambda: s3.get_object(Bucket="boto", Key="nope"))
out["missing_head"] = error_of(lambda: s3.head_object(Bucket="boto", Key="nope"))
out["missing_bucket"] = error_of(lambda: s3.list_objects_v2(Bucket="no-such-bucket"))
out["not_empty"] = error_of(lambda: s3.delete_bucket(Bucket="boto"))

for key in ["dir/hello.txt", "copy.txt", "big.bin", "big-copy.bin", "presigned.txt"]:
    s3.delete_object(Bucket="boto", Key=key)
s3.delete_bucket(Bucket="boto")
out["buckets_after"] = [b["Name"] for b in s3.list_buckets()["Buckets"]]

print(json.dumps(out))
