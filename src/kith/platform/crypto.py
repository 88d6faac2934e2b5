"""The WeChat Official Account protocol's signatures and its "safe mode" message encryption.

Both exactly as the protocol reference describes (../shared/platform/WECHAT-PROTOCOL.md §1.2, §1.7)
and as wechatpy's ``WeChatCrypto`` and werobot's ``MessageCrypt`` do them: a SHA-1 over the sorted
parts; AES-256-CBC with the key from the 43-character EncodingAESKey, the IV its first 16 bytes,
padding to a multiple of 32 bytes, and the plaintext framed as random16 | length | xml | AppID.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES_KEY = re.compile(r"\A[A-Za-z0-9]{43}\Z")
TOKEN = re.compile(r"\A[A-Za-z0-9]{3,32}\Z")
BLOCK = 32


class CryptoError(Exception):
    """An encrypted message that does not decrypt, is framed wrongly or names another AppID."""


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signature_matches(expected: str, *parts: str) -> bool:
    return hmac.compare_digest(expected.encode(), signature(*parts).encode())


class MessageCrypto:
    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        if not AES_KEY.match(encoding_aes_key):
            raise ValueError("an EncodingAESKey is 43 letters and digits")
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.app_id = app_id.encode()

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, xml: str, random16: bytes | None = None) -> str:
        body = xml.encode()
        raw = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.app_id
        pad = BLOCK - len(raw) % BLOCK
        raw += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(raw) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("not base64") from None
        if not data or len(data) % 16:
            raise CryptoError("not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        raw = decryptor.update(data) + decryptor.finalize()
        pad = raw[-1]
        if not 1 <= pad <= BLOCK or len(raw) < 20 + pad:
            raise CryptoError("bad padding")
        raw = raw[16:-pad]
        (length,) = struct.unpack(">I", raw[:4])
        body, app_id = raw[4 : 4 + length], raw[4 + length :]
        if len(body) != length or not hmac.compare_digest(app_id, self.app_id):
            raise CryptoError("framed for another AppID")
        try:
            return body.decode()
        except UnicodeDecodeError:
            raise CryptoError("not UTF-8") from None
