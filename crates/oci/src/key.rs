// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
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

// An encrypted key names the cost of its own key derivation, so a hostile or broken key file can
// ask for hours of PBKDF2 or terabytes of scrypt memory (which aborts the process: no JSON). The
// cost is checked against these bounds before any derivation runs.
//
// PBKDF2: `openssl pkcs8` writes 2048 iterations, OWASP (2023) recommends 600,000 for
// HMAC-SHA256; 5,000,000 leaves a wide margin over both. The release binary derives 10,000,000
// HMAC-SHA256 iterations in about 8 s of CPU, so the bound costs about 4 s at most.
const MAX_PBKDF2_ITERATIONS: u32 = 5_000_000;
// scrypt: OpenSSL's own limit, EVP_PBE_scrypt's default maxmem of 32 MiB for the V and B buffers
// (128·r·(N+2) + 128·r·p bytes). That bounds memory; p multiplies the time without needing more
// memory, so the total mixing (128·r·N·p bytes) is bounded too, at 32 times the memory bound.
const MAX_SCRYPT_MEMORY: u64 = 32 * 1024 * 1024;
const MAX_SCRYPT_WORK: u64 = 32 * MAX_SCRYPT_MEMORY;
const REENCRYPT: &str = "re-encrypt it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 2048 -in KEY.pem -out KEY-pkcs8.pem";

/// Refuses key-derivation parameters that would run for minutes or exhaust memory.
fn check_kdf_cost(scheme: &pkcs8::pkcs5::EncryptionScheme) -> Result<(), String> {
    use pkcs8::pkcs5::{pbes2::Kdf, EncryptionScheme};
    let EncryptionScheme::Pbes2(params) = scheme else {
        // PBES1 is refused by decrypt at once, before any derivation.
        return Ok(());
    };
    match &params.kdf {
        Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => Err(format!(
            "the key's encryption asks for {} PBKDF2 iterations, more than the {MAX_PBKDF2_ITERATIONS} \
             allowed (a damaged or hostile key?); {REENCRYPT}",
            p.iteration_count
        )),
        Kdf::Pbkdf2(_) => Ok(()),
        Kdf::Scrypt(s) => {
            let (n, r, p) = (
                s.cost_parameter,
                u64::from(s.block_size),
                u64::from(s.parallelization),
            );
            if n < 2 || !n.is_power_of_two() || r == 0 || p == 0 {
                return Err(format!(
                    "the key's scrypt parameters are invalid (N={n}, r={r}, p={p}); {REENCRYPT}"
                ));
            }
            let memory = n
                .checked_add(2)
                .and_then(|n2| n2.checked_mul(128 * r))
                .and_then(|v| v.checked_add(128 * r * p));
            let work = n.checked_mul(128 * r).and_then(|w| w.checked_mul(p));
            match (memory, work) {
                (Some(m), Some(w)) if m <= MAX_SCRYPT_MEMORY && w <= MAX_SCRYPT_WORK => Ok(()),
                _ => Err(format!(
                    "the key's scrypt parameters (N={n}, r={r}, p={p}) need more than the \
                     {} MiB of memory or {} MiB of work allowed (a damaged or hostile key?); {REENCRYPT}",
                    MAX_SCRYPT_MEMORY >> 20,
                    MAX_SCRYPT_WORK >> 20
                )),
            }
        }
        _ => Err("the key's encryption uses an unsupported key derivation function".into()),
    }
}

/// An RSA API signing key, in memory only: its `Debug` shows nothing of it.
pub struct SigningKey {
    pair: RsaKeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Reads a PEM key file; errors name the file.
    pub fn from_file(path: &Path, pass_phrase: Option<&str>) -> Result<SigningKey, OciError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| OciError::Key(format!("cannot read {}: {e}", path.display())))?;
        Self::from_pem(&text, pass_phrase)
            .map_err(|e| OciError::Key(format!("{}: {e}", path.display())))
    }

    /// Parses PEM text (see the module doc for the formats). The error is a bare reason, so
    /// [`SigningKey::from_file`] can add the path. Never panics (a fuzz entry point).
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
                check_kdf_cost(&info.encryption_algorithm)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use pkcs8::pkcs5::{pbes2, EncryptionScheme};

    const IV: [u8; 16] = [0; 16];
    const SALT: [u8; 8] = [1; 8];

    fn scheme(kdf: pbes2::Kdf<'static>) -> EncryptionScheme<'static> {
        pbes2::Parameters {
            kdf,
            encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &IV },
        }
        .into()
    }

    fn pbkdf2(iterations: u32) -> EncryptionScheme<'static> {
        scheme(pbes2::Kdf::Pbkdf2(pbes2::Pbkdf2Params {
            salt: &SALT,
            iteration_count: iterations,
            key_length: None,
            prf: pbes2::Pbkdf2Prf::HmacWithSha256,
        }))
    }

    fn scrypt(n: u64, r: u16, p: u16) -> EncryptionScheme<'static> {
        scheme(pbes2::Kdf::Scrypt(pbes2::ScryptParams {
            salt: &SALT,
            cost_parameter: n,
            block_size: r,
            parallelization: p,
            key_length: None,
        }))
    }

    #[test]
    fn kdf_cost_bounds() {
        assert!(check_kdf_cost(&pbkdf2(2048)).is_ok());
        assert!(check_kdf_cost(&pbkdf2(600_000)).is_ok());
        assert!(check_kdf_cost(&pbkdf2(MAX_PBKDF2_ITERATIONS)).is_ok());
        let err = check_kdf_cost(&pbkdf2(MAX_PBKDF2_ITERATIONS + 1)).unwrap_err();
        assert!(err.contains("5000001 PBKDF2 iterations"), "{err}");
        // What `openssl pkcs8 -scrypt` writes, and the most OpenSSL itself accepts (32 MiB).
        assert!(check_kdf_cost(&scrypt(1 << 14, 8, 1)).is_ok());
        assert!(check_kdf_cost(&scrypt(1 << 14, 15, 1)).is_ok());
        assert!(check_kdf_cost(&scrypt(1 << 15, 8, 1)).is_err());
        assert!(check_kdf_cost(&scrypt(1 << 14, 8, 32)).is_ok());
        assert!(check_kdf_cost(&scrypt(1 << 14, 8, 65)).is_err());
        for (n, r, p) in [
            (0, 8, 1),
            (1, 8, 1),
            (3, 8, 1),
            (1 << 10, 0, 1),
            (1 << 10, 8, 0),
        ] {
            let err = check_kdf_cost(&scrypt(n, r, p)).unwrap_err();
            assert!(err.contains("invalid"), "{err}");
        }
        assert!(check_kdf_cost(&scrypt(1 << 63, u16::MAX, u16::MAX)).is_err());
    }
}
