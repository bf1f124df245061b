//! Short hex digests: the snapshot, profile-id, fingerprint and tag hashes every crate prints
//! spelled one way.

use sha2::{Digest, Sha256};

/// `bytes` as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The first `len` bytes of the SHA-256 of `bytes`, as hex (`2 × len` digits).
pub fn sha256_hex(bytes: &[u8], len: usize) -> String {
    hex(&Sha256::digest(bytes)[..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_lowercase_hex_of_the_stated_length() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f]), "00ab0f");
        // SHA-256 of "abc" starts ba7816bf.
        assert_eq!(sha256_hex(b"abc", 4), "ba7816bf");
    }
}
