"""Upload one image to an imgate server with the real Volcengine Python SDK.

Uses `volcengine.imagex.v2.imagex_service.ImagexService.upload_image` unchanged:
ApplyImageUpload (signed GET), PUT of the bytes to the returned upload host, then
CommitImageUpload (signed POST with a JSON body), over https and with temporary
credentials (access key id, secret key, session token).

Input is read from environment variables:
    IMGATE_HOST            host:port of the server, e.g. 127.0.0.1:8443
    IMGATE_AK, IMGATE_SK   temporary access key id and secret key
    IMGATE_SESSION_TOKEN   session token of those credentials
    IMGATE_SERVICE_ID      ServiceId to upload to
    IMGATE_FILE            path of the image to upload
    IMGATE_CA              PEM certificate to trust for TLS (verification stays on)

Prints exactly one line of JSON to stdout and exits 0 on success, 1 on failure:
    {"ok": true, "result": <Result of CommitImageUpload>}
    {"ok": false, "error": "<ExceptionType>: <message>"}
Failed upload PUTs, which the SDK swallows, are reported on stderr.

The Rust integration test starts imgate over https with a self-signed certificate, mints
temporary credentials, then runs this script with a Python that has
tests/sdk/requirements.txt installed (e.g. `python3 -m venv V && V/bin/pip install -r
tests/sdk/requirements.txt && V/bin/python tests/sdk/volc_upload.py`), and parses the line.
"""

import json
import os
import sys


def upload() -> dict:
    from volcengine.imagex.v2.imagex_service import ImagexService

    service = ImagexService(region="cn-north-1")
    service.set_host(os.environ["IMGATE_HOST"])
    service.set_scheme("https")
    # Set after construction: the constructor may load keys from VOLC_ACCESSKEY or ~/.volc.
    service.set_ak(os.environ["IMGATE_AK"])
    service.set_sk(os.environ["IMGATE_SK"])
    service.set_session_token(os.environ["IMGATE_SESSION_TOKEN"])
    # Every SDK request (API and upload) goes through this requests session. Without
    # trust_env=False, REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE (and proxies) from the
    # environment would override `verify`.
    service.session.trust_env = False
    service.session.verify = os.environ["IMGATE_CA"]

    put_data = service.put_data

    def traced_put_data(url, data, headers):
        ok, body = put_data(url, data, headers)
        if not ok:
            print(f"volc_upload: PUT {url} failed: {body!r}", file=sys.stderr)
        return ok, body

    service.put_data = traced_put_data
    params = {"ServiceId": os.environ["IMGATE_SERVICE_ID"]}
    return service.upload_image(params, [os.environ["IMGATE_FILE"]])


def main() -> int:
    try:
        line = json.dumps({"ok": True, "result": upload()}, default=str)
        code = 0
    except Exception as error:  # report every failure as one JSON line
        line = json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"})
        code = 1
    print(line, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
