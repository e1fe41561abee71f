"""A software security key for tests: answers WebAuthn registration and sign-in requests the way a
browser with a real key would (attestation "none", ES256, a signature counter), so the server side of
allauth + fido2 is exercised for real without a browser. The browser test uses Chromium's virtual
authenticator instead."""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

FLAG = AuthenticatorData.FLAG


def page_js_data(html: str) -> dict[str, Any]:
    """The options allauth puts in the page for the browser (`<script id="js_data">`)."""
    found = re.search(r'<script id="js_data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no WebAuthn options on the page"
    return dict(json.loads(found.group(1)))


class SoftKey:
    def __init__(self, rp_id: str = "localhost", origin: str = "http://localhost") -> None:
        self.rp_id, self.origin = rp_id, origin
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0

    def _rp_hash(self) -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest()

    def register(self, creation_options: dict[str, Any]) -> str:
        challenge = creation_options["publicKey"]["challenge"]
        client_data = CollectedClientData.create(
            type="webauthn.create", challenge=challenge, origin=self.origin
        )
        credential = AttestedCredentialData.create(
            b"\0" * 16, self.credential_id, ES256.from_cryptography_key(self.private.public_key())
        )
        auth_data = AuthenticatorData.create(self._rp_hash(), FLAG.UP | FLAG.UV | FLAG.AT, 0, credential)
        attestation = AttestationObject.create("none", auth_data, {})
        return json.dumps(
            {
                "id": websafe_encode(self.credential_id),
                "rawId": websafe_encode(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": websafe_encode(client_data),
                    "attestationObject": websafe_encode(attestation),
                },
                "clientExtensionResults": {},
            }
        )

    def sign(self, request_options: dict[str, Any], *, counter: int | None = None) -> str:
        challenge = request_options["publicKey"]["challenge"]
        client_data = CollectedClientData.create(type="webauthn.get", challenge=challenge, origin=self.origin)
        self.counter = self.counter + 1 if counter is None else counter
        auth_data = AuthenticatorData.create(self._rp_hash(), FLAG.UP | FLAG.UV, self.counter)
        signature = self.private.sign(bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": websafe_encode(self.credential_id),
                "rawId": websafe_encode(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": websafe_encode(client_data),
                    "authenticatorData": websafe_encode(auth_data),
                    "signature": websafe_encode(signature),
                    "userHandle": None,
                },
                "clientExtensionResults": {},
            }
        )
