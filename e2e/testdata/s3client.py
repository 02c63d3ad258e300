# The boto3 client the e2e python scripts share: path-style SigV4 against ENDPOINT with the test
# credentials, one attempt (a retry would hide what the server answered), and S3 errors as JSON.
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(endpoint, secret="minio123", verify=None):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="minio",
        aws_secret_access_key=secret,
        region_name="us-east-1",
        **({"verify": verify} if verify is not None else {}),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def error_fields(err: ClientError, message=False):
    """The S3 code and HTTP status of a ClientError (and its message when asked)."""
    out = {"code": err.response["Error"]["Code"], "status": err.response["ResponseMetadata"]["HTTPStatusCode"]}
    if message:
        out["message"] = err.response["Error"].get("Message")
    return out
