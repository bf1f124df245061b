//! Short hex digests: the snapshot, profile-id, fingerprint and tag hashes every crate prints
//! spelled one way.

use sha2::{Digest, Sha256};

/// `bytes` as lowercase hex. Two digits a byte from a table: formatting each byte through
/// `write!` was most of the cost of naming 10,000 files and profiles by their digests.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// The first `len` bytes of the SHA-256 of `bytes`, as hex (`2 × len` digits).
pub fn sha256_hex(bytes: &[u8], len: usize) -> String {
    hex(&Sha256::digest(bytes)[..len])
}

/// The first `len` bytes of the SHA-256 of `value` in postcard, as hex: a fingerprint of typed
/// values without writing them as text (formatting every figure was most of the cost). Nothing
/// postcard writes is left out, so the bytes stay unambiguous. A value cannot fail to
/// serialize; if one did, its debug text still names every field, where hashing nothing would
/// give every value one digest.
pub fn postcard_sha256_hex<T: serde::Serialize + std::fmt::Debug>(value: &T, len: usize) -> String {
    let bytes = postcard::to_allocvec(value).unwrap_or_else(|_| format!("{value:?}").into_bytes());
    sha256_hex(&bytes, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_lowercase_hex_of_the_stated_length() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f, 0xf0, 0x9c]), "00ab0ff09c");
        assert_eq!(hex(&[]), "");
        // SHA-256 of "abc" starts ba7816bf.
        assert_eq!(sha256_hex(b"abc", 4), "ba7816bf");
        // Typed values: equal ones alike, any differing field apart.
        let a = postcard_sha256_hex(&("x", 1.5, Some(2u32)), 6);
        assert_eq!(a.len(), 12);
        assert_eq!(a, postcard_sha256_hex(&("x", 1.5, Some(2u32)), 6));
        assert_ne!(a, postcard_sha256_hex(&("x", 1.5, None::<u32>), 6));
        assert_ne!(a, postcard_sha256_hex(&("x", 2.5, Some(2u32)), 6));
    }
}
