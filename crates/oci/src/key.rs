//! API signing keys: PEM PKCS#8 (what `oci setup keys` writes), PKCS#1, encrypted PKCS#8, with or
//! without the `OCI_API_KEY` line Oracle's docs suggest after the END marker. The legacy OpenSSL
//! encryption (`Proc-Type: 4,ENCRYPTED`) gets a message saying how to convert it.

use crate::error::OciError;
use md5::{Digest, Md5};
use pkcs8::der::{Decode, Encode};
use pkcs8::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use ring::rand::SystemRandom;
use ring::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use std::path::Path;

/// rsaEncryption, the algorithm of every OCI API key.
const RSA_ENCRYPTION: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

pub struct SigningKey {
    pair: RsaKeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    pub fn from_file(path: &Path, pass_phrase: Option<&str>) -> Result<SigningKey, OciError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| OciError::Key(format!("cannot read {}: {e}", path.display())))?;
        Self::from_pem(&text, pass_phrase)
            .map_err(|e| OciError::Key(format!("{}: {e}", path.display())))
    }

    pub fn from_pem(text: &str, pass_phrase: Option<&str>) -> Result<SigningKey, String> {
        if text.contains("Proc-Type: 4,ENCRYPTED") {
            return Err("this key uses the legacy OpenSSL encryption, which is not supported; convert it to \
                        encrypted PKCS#8 with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in KEY.pem -out KEY-pkcs8.pem"
                .into());
        }
        let block = pem::parse(text).map_err(|e| format!("not a PEM private key ({e})"))?;
        let pair = match block.tag() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(block.contents()),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(block.contents()),
            "ENCRYPTED PRIVATE KEY" => {
                let pass =
                    pass_phrase.ok_or("the key is encrypted and the profile has no pass_phrase")?;
                let info = pkcs8::EncryptedPrivateKeyInfo::from_der(block.contents())
                    .map_err(|e| format!("unreadable encrypted key ({e})"))?;
                let plain = info.decrypt(pass).map_err(|_| {
                    "cannot decrypt the key: wrong pass_phrase, or an unsupported cipher"
                        .to_string()
                })?;
                RsaKeyPair::from_pkcs8(plain.as_bytes())
            }
            other => return Err(format!("a PEM block '{other}' is not an RSA private key")),
        }
        .map_err(|e| format!("not a usable RSA key ({e}); OCI needs RSA of at least 2048 bits"))?;
        Ok(SigningKey { pair })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256, as draft-cavage rsa-sha256 requires.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, OciError> {
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), data, &mut sig)
            .map_err(|_| OciError::Key("signing failed".into()))?;
        Ok(sig)
    }

    /// MD5 of the DER SubjectPublicKeyInfo, lowercase colon hex: what the console and CLI show.
    pub fn fingerprint(&self) -> Result<String, OciError> {
        let spki = SubjectPublicKeyInfoRef {
            algorithm: AlgorithmIdentifierRef {
                oid: RSA_ENCRYPTION,
                parameters: Some(pkcs8::der::asn1::AnyRef::NULL),
            },
            subject_public_key: pkcs8::der::asn1::BitStringRef::from_bytes(
                self.pair.public_key().as_ref(),
            )
            .map_err(|e| OciError::Key(format!("cannot encode the public key ({e})")))?,
        };
        let der = spki
            .to_der()
            .map_err(|e| OciError::Key(format!("cannot encode the public key ({e})")))?;
        let digest = Md5::digest(&der);
        Ok(digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"))
    }
}
