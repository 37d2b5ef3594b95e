//! The cryptography under Sigstore verification, without aws-lc.
//!
//! `sigstore-verify` does no cryptography itself: it asks a process-wide
//! [`CryptoProvider`] to hash and to check signatures (certificate chains,
//! SCTs, checkpoints, SETs, timestamps, the artifact signature). Its only
//! built-in provider is aws-lc-rs, whose C build dominated the consumer's
//! compile time, so this module provides one on the crates the binary
//! already has for TLS:
//!
//! - **ring** (rustls's provider) verifies every signature over a message:
//!   ECDSA P-256/P-384, Ed25519, RSA PKCS#1 v1.5 and PSS (2048–8192 bits);
//! - **RustCrypto** `p256`/`p384` verify ECDSA signatures over a digest
//!   (sigstore-verify hashes the artifact once while streaming it, then
//!   checks the signature over that digest; ring has no such entry point);
//! - **sha2** hashes.
//!
//! Not supported, and refused with an error rather than accepted: ML-DSA
//! keys (no Sigstore instance uses them yet), RSA signatures over a digest
//! (an artifact signed with an RSA key; Fulcio certificates are ECDSA),
//! key generation and signing (verification only). The whole Sigstore
//! conformance corpus in `tests/data/sigstore` verifies with it.

use std::sync::Once;

use sha2::Digest;
use sigstore_verify::crypto::{CryptoProvider, Error, HashContext, Result, SigningScheme};
use sigstore_verify::types::HashAlgorithm;

/// The provider; installed once per process by [`install`].
#[derive(Debug)]
pub struct RingRustCrypto;

static PROVIDER: RingRustCrypto = RingRustCrypto;
static INSTALL: Once = Once::new();

/// Make [`RingRustCrypto`] the process-wide Sigstore provider. Idempotent;
/// call it before parsing a trusted root or a bundle.
pub fn install() {
    INSTALL.call_once(|| {
        // Only this module installs a provider, so the slot is empty.
        let _ = sigstore_verify::crypto::install_default_provider(&PROVIDER);
    });
}

enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl HashContext for Hasher {
    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        match *self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

fn invalid(scheme: SigningScheme) -> Error {
    Error::Verification(format!("{} signature invalid", scheme.name()))
}

/// ring's algorithm for a signature over a whole message.
fn ring_algorithm(
    scheme: SigningScheme,
) -> Result<&'static dyn ring::signature::VerificationAlgorithm> {
    use ring::signature as r;
    Ok(match scheme {
        SigningScheme::EcdsaP256Sha256 => &r::ECDSA_P256_SHA256_ASN1,
        SigningScheme::EcdsaP256Sha384 => &r::ECDSA_P256_SHA384_ASN1,
        SigningScheme::EcdsaP384Sha256 => &r::ECDSA_P384_SHA256_ASN1,
        SigningScheme::EcdsaP384Sha384 => &r::ECDSA_P384_SHA384_ASN1,
        SigningScheme::Ed25519 => &r::ED25519,
        SigningScheme::RsaPkcs1Sha256 => &r::RSA_PKCS1_2048_8192_SHA256,
        SigningScheme::RsaPkcs1Sha384 => &r::RSA_PKCS1_2048_8192_SHA384,
        SigningScheme::RsaPkcs1Sha512 => &r::RSA_PKCS1_2048_8192_SHA512,
        SigningScheme::RsaPssSha256 => &r::RSA_PSS_2048_8192_SHA256,
        SigningScheme::RsaPssSha384 => &r::RSA_PSS_2048_8192_SHA384,
        SigningScheme::RsaPssSha512 => &r::RSA_PSS_2048_8192_SHA512,
        other => {
            return Err(Error::UnsupportedAlgorithm(format!(
                "{} signatures are not supported",
                other.name()
            )));
        }
    })
}

/// Verify an ASN.1 (DER) ECDSA `$sig` over `$digest` with the uncompressed
/// SEC1 point `$key`, with the RustCrypto curve crate `$curve` (`p256` or
/// `p384`).
macro_rules! ecdsa_prehashed {
    ($curve:ident, $scheme:expr, $key:expr, $digest:expr, $sig:expr) => {{
        use $curve::ecdsa::signature::hazmat::PrehashVerifier;
        let key = $curve::ecdsa::VerifyingKey::from_sec1_bytes($key)
            .map_err(|_| Error::InvalidKey(format!("not a {} public key", $scheme.name())))?;
        let sig = $curve::ecdsa::Signature::from_der($sig).map_err(|_| invalid($scheme))?;
        key.verify_prehash($digest, &sig)
            .map_err(|_| invalid($scheme))
    }};
}

impl CryptoProvider for RingRustCrypto {
    fn hash(&self, algorithm: HashAlgorithm) -> Result<Box<dyn HashContext>> {
        Ok(Box::new(match algorithm {
            HashAlgorithm::Sha2256 => Hasher::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Sha2384 => Hasher::Sha384(sha2::Sha384::new()),
            HashAlgorithm::Sha2512 => Hasher::Sha512(sha2::Sha512::new()),
            other => {
                return Err(Error::UnsupportedAlgorithm(format!(
                    "cannot compute {other} digests"
                )));
            }
        }))
    }

    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        sha2::Sha256::digest(data).into()
    }

    fn sha384(&self, data: &[u8]) -> [u8; 48] {
        sha2::Sha384::digest(data).into()
    }

    fn sha512(&self, data: &[u8]) -> [u8; 64] {
        sha2::Sha512::digest(data).into()
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        ring::signature::UnparsedPublicKey::new(ring_algorithm(scheme)?, spki_pubkey_bytes)
            .verify(data, signature)
            .map_err(|_| invalid(scheme))
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        match scheme {
            SigningScheme::EcdsaP256Sha256 | SigningScheme::EcdsaP256Sha384 => {
                ecdsa_prehashed!(p256, scheme, spki_pubkey_bytes, digest, signature)
            }
            SigningScheme::EcdsaP384Sha256 | SigningScheme::EcdsaP384Sha384 => {
                ecdsa_prehashed!(p384, scheme, spki_pubkey_bytes, digest, signature)
            }
            other => Err(Error::UnsupportedAlgorithm(format!(
                "{} signatures over a digest are not supported",
                other.name()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;

    /// A signature made with RustCrypto verifies through both entry points
    /// (ring over the message, p256 over its digest); a changed message or
    /// digest does not.
    #[test]
    fn ecdsa_p256_over_message_and_digest() {
        let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let public = key.verifying_key().to_encoded_point(false);
        let message = b"hephaestus release";
        let sig: p256::ecdsa::Signature = key.sign(message);
        let der = sig.to_der();
        let scheme = SigningScheme::EcdsaP256Sha256;
        let p = RingRustCrypto;
        assert!(
            p.verify_raw(scheme, public.as_bytes(), message, der.as_bytes())
                .is_ok()
        );
        assert!(
            p.verify_raw(scheme, public.as_bytes(), b"other", der.as_bytes())
                .is_err()
        );
        let digest = p.sha256(message);
        assert!(
            p.verify_prehashed(scheme, public.as_bytes(), &digest, der.as_bytes())
                .is_ok()
        );
        let wrong = p.sha256(b"other");
        assert!(
            p.verify_prehashed(scheme, public.as_bytes(), &wrong, der.as_bytes())
                .is_err()
        );
        assert!(matches!(
            p.verify_prehashed(
                SigningScheme::RsaPkcs1Sha256,
                public.as_bytes(),
                &digest,
                der.as_bytes()
            ),
            Err(Error::UnsupportedAlgorithm(_))
        ));
    }

    #[test]
    fn hashes_match_sha2() {
        let p = RingRustCrypto;
        for (algorithm, len) in [
            (HashAlgorithm::Sha2256, 32),
            (HashAlgorithm::Sha2384, 48),
            (HashAlgorithm::Sha2512, 64),
        ] {
            let mut h = p.hash(algorithm).unwrap();
            h.update(b"ab");
            h.update(b"c");
            let out = h.finalize();
            assert_eq!(out.len(), len);
        }
        assert_eq!(
            hex::encode(p.sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
