# boto3 (Debian python3-boto3) against the object store's bucket-level APIs, for
# e2e/test/minio-bucket-boto3.test.ts. Usage: minio-bucket-boto3.py ENDPOINT. Prints one JSON object of
# what the server answered; the TypeScript test holds the expectations.
import json
import sys

from botocore.exceptions import ClientError
from s3client import client, error_fields

endpoint = sys.argv[1]
s3 = client(endpoint)
out = {}


def error_of(call):
    try:
        call()
    except ClientError as err:
        return error_fields(err, message=True)
    return None


s3.create_bucket(Bucket="bucket-apis")

# Bucket tagging.
tagging = {"none": error_of(lambda: s3.get_bucket_tagging(Bucket="bucket-apis"))}
s3.put_bucket_tagging(
    Bucket="bucket-apis",
    Tagging={"TagSet": [{"Key": "project", "Value": "kms chain"}, {"Key": "Größe", "Value": "値"}]},
)
tagging["set"] = s3.get_bucket_tagging(Bucket="bucket-apis")["TagSet"]
fifty_one = [{"Key": "k%d" % i, "Value": "v"} for i in range(51)]
tagging["too_many"] = error_of(
    lambda: s3.put_bucket_tagging(Bucket="bucket-apis", Tagging={"TagSet": fifty_one})
)
tagging["bad_key"] = error_of(
    lambda: s3.put_bucket_tagging(Bucket="bucket-apis", Tagging={"TagSet": [{"Key": "a#b", "Value": "v"}]})
)
tagging["aws_key"] = error_of(
    lambda: s3.put_bucket_tagging(Bucket="bucket-apis", Tagging={"TagSet": [{"Key": "aws:x", "Value": "v"}]})
)
tagging["kept"] = s3.get_bucket_tagging(Bucket="bucket-apis")["TagSet"]
tagging["delete_status"] = s3.delete_bucket_tagging(Bucket="bucket-apis")["ResponseMetadata"]["HTTPStatusCode"]
tagging["deleted"] = error_of(lambda: s3.get_bucket_tagging(Bucket="bucket-apis"))
out["bucket_tagging"] = tagging

# Object tags follow the same character set.
s3.put_object(Bucket="bucket-apis", Key="obj", Body=b"x")
out["object_tagging"] = {
    "bad_value": error_of(
        lambda: s3.put_object_tagging(
            Bucket="bucket-apis", Key="obj", Tagging={"TagSet": [{"Key": "k", "Value": "a*b"}]}
        )
    ),
    "bad_header": error_of(lambda: s3.put_object(Bucket="bucket-apis", Key="obj2", Body=b"x", Tagging="k%23=v")),
    "eleven": error_of(
        lambda: s3.put_object_tagging(
            Bucket="bucket-apis",
            Key="obj",
            Tagging={"TagSet": [{"Key": "k%d" % i, "Value": "v"} for i in range(11)]},
        )
    ),
}

# GetObjectAttributes, plain and multipart.
s3.put_object(Bucket="bucket-apis", Key="attrs", Body=b"attribute body", ChecksumAlgorithm="SHA256")
attrs = s3.get_object_attributes(
    Bucket="bucket-apis", Key="attrs", ObjectAttributes=["ETag", "Checksum", "ObjectParts", "ObjectSize", "StorageClass"]
)
upload = s3.create_multipart_upload(Bucket="bucket-apis", Key="attrs-mp")["UploadId"]
parts = []
for n, body in enumerate([b"a" * (5 * 1024 * 1024), b"b" * 10], start=1):
    etag = s3.upload_part(Bucket="bucket-apis", Key="attrs-mp", UploadId=upload, PartNumber=n, Body=body)["ETag"]
    parts.append({"PartNumber": n, "ETag": etag})
s3.complete_multipart_upload(
    Bucket="bucket-apis", Key="attrs-mp", UploadId=upload, MultipartUpload={"Parts": parts}
)
mp = s3.get_object_attributes(Bucket="bucket-apis", Key="attrs-mp", ObjectAttributes=["ObjectParts"], MaxParts=1)
out["attributes"] = {
    "etag": attrs.get("ETag"),
    "checksum": attrs.get("Checksum"),
    "size": attrs.get("ObjectSize"),
    "storage_class": attrs.get("StorageClass"),
    "parts_count": attrs["ObjectParts"].get("TotalPartsCount"),
    "mp_parts": [[p["PartNumber"], p["Size"]] for p in mp["ObjectParts"].get("Parts", [])],
    "mp_truncated": mp["ObjectParts"].get("IsTruncated"),
    "mp_count": mp["ObjectParts"].get("TotalPartsCount"),
    "bad_name": error_of(
        lambda: s3.get_object_attributes(Bucket="bucket-apis", Key="attrs", ObjectAttributes=["Owner"])
    ),
    "missing": error_of(
        lambda: s3.get_object_attributes(Bucket="bucket-apis", Key="nope", ObjectAttributes=["ETag"])
    ),
}

# Versions of an unversioned bucket, as cleanup tools read them.
versions = s3.list_object_versions(Bucket="bucket-apis")
out["versions"] = {
    "status": s3.get_bucket_versioning(Bucket="bucket-apis").get("Status"),
    "listed": [[v["Key"], v["VersionId"], v["IsLatest"]] for v in versions.get("Versions", [])],
    "delete_markers": versions.get("DeleteMarkers"),
}

print(json.dumps(out))
