//! The one place that knows the binary encoding of stored values (bincode 2, serde mode,
//! standard configuration: varint integers, little endian). Swap the codec here.

use serde::{de::DeserializeOwned, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("encoding failed: {0}")]
    Encode(#[from] bincode::error::EncodeError),
    #[error("decoding failed: {0}")]
    Decode(#[from] bincode::error::DecodeError),
    #[error("decoding left {0} trailing bytes")]
    Trailing(usize),
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    Ok(bincode::serde::encode_to_vec(
        value,
        bincode::config::standard(),
    )?)
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, bincode::config::standard())?;
    if used != bytes.len() {
        return Err(CodecError::Trailing(bytes.len() - used));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_trailing_bytes() {
        let v = (1u32, "x".to_string(), Some(-5i64));
        let mut bytes = encode(&v).unwrap();
        assert_eq!(decode::<(u32, String, Option<i64>)>(&bytes).unwrap(), v);
        bytes.push(0);
        assert!(matches!(
            decode::<(u32, String, Option<i64>)>(&bytes),
            Err(CodecError::Trailing(1))
        ));
    }
}
