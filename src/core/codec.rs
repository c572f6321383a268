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

/// Decodes one value from a stream (a decompressor, say) through a buffer of its own, so
/// that a large value is decoded as it arrives instead of from one large buffer: no
/// allocation the size of the input, no page of it faulted in. The stream must end where
/// the value does.
pub fn decode_stream<T: DeserializeOwned>(src: impl std::io::Read) -> Result<T, CodecError> {
    let mut reader = StreamReader {
        src,
        buf: vec![0u8; STREAM_BUF].into_boxed_slice(),
        pos: 0,
        end: 0,
        failed: None,
    };
    let value = bincode::serde::decode_from_reader(&mut reader, bincode::config::standard());
    if let Some(inner) = reader.failed.take() {
        // The stream's own error, not the end of input bincode saw because of it.
        return Err(bincode::error::DecodeError::Io {
            inner,
            additional: 0,
        }
        .into());
    }
    let value = value?;
    let trailing = reader.trailing()?;
    if trailing > 0 {
        return Err(CodecError::Trailing(trailing));
    }
    Ok(value)
}

/// The buffer of [`decode_stream`]: large enough that refills are rare, small enough to stay
/// in the cache.
const STREAM_BUF: usize = 256 * 1024;

/// A bincode reader over a byte stream, with the look-ahead (`peek_read`) bincode uses to
/// decode integers without a call per byte.
struct StreamReader<R> {
    src: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// The stream's error, if reading it failed (reported instead of the value).
    failed: Option<std::io::Error>,
}

impl<R: std::io::Read> StreamReader<R> {
    /// Makes at least `need` bytes available (false at the end of the stream, or when it
    /// failed: see `failed`).
    #[inline]
    fn fill(&mut self, need: usize) -> bool {
        self.end - self.pos >= need || self.refill(need)
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self, need: usize) -> bool {
        if self.failed.is_some() {
            return false;
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        while self.end < need {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => return false,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.failed = Some(e);
                    return false;
                }
            }
        }
        true
    }

    /// A read that needs more than is buffered.
    #[cold]
    #[inline(never)]
    fn read_across(&mut self, out: &mut [u8]) -> Result<(), bincode::error::DecodeError> {
        let mut done = 0;
        while done < out.len() {
            if self.pos == self.end && !self.fill(1) {
                return Err(bincode::error::DecodeError::UnexpectedEnd {
                    additional: out.len() - done,
                });
            }
            let n = (self.end - self.pos).min(out.len() - done);
            out[done..done + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    /// Bytes left after the value (reading the stream to its end).
    fn trailing(&mut self) -> Result<usize, bincode::error::DecodeError> {
        let mut n = self.end - self.pos;
        self.pos = self.end;
        loop {
            match self.src.read(&mut self.buf) {
                Ok(0) => return Ok(n),
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(inner) => {
                    return Err(bincode::error::DecodeError::Io {
                        inner,
                        additional: 0,
                    })
                }
            }
        }
    }
}

impl<R: std::io::Read> bincode::de::read::Reader for StreamReader<R> {
    #[inline]
    fn read(&mut self, out: &mut [u8]) -> Result<(), bincode::error::DecodeError> {
        if self.end - self.pos >= out.len() {
            out.copy_from_slice(&self.buf[self.pos..self.pos + out.len()]);
            self.pos += out.len();
            return Ok(());
        }
        self.read_across(out)
    }

    #[inline]
    fn peek_read(&mut self, n: usize) -> Option<&[u8]> {
        if self.fill(n) {
            Some(&self.buf[self.pos..self.pos + n])
        } else {
            // At the end or on an error, `read` reports it.
            None
        }
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }
}

/// The most a decoded container reserves ahead of its elements. The encoding states every
/// length, and serde's default reserves at most 1 MiB ahead, so a large vector or map grows
/// by doubling: every element copied again and twice the memory touched. Snapshots are
/// checked against their blake3 before they are decoded, so their lengths are the ones
/// written; the cap only bounds what a wrong one could reserve.
const MAX_RESERVE_BYTES: usize = 1 << 30;

fn reserve<T>(hint: Option<usize>) -> usize {
    hint.unwrap_or(0)
        .min(MAX_RESERVE_BYTES / std::mem::size_of::<T>().max(1))
}

/// `#[serde(deserialize_with = "…")]` for a large `Vec`: reserves its stated length at once.
pub fn exact_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a sequence")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(reserve::<T>(seq.size_hint()));
            while let Some(x) = seq.next_element()? {
                out.push(x);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(V(std::marker::PhantomData))
}

/// `#[serde(deserialize_with = "…")]` for a large hash map: reserves its stated length at
/// once (no rehash while it fills).
pub fn exact_map<'de, D, K, V, S>(d: D) -> Result<std::collections::HashMap<K, V, S>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: serde::Deserialize<'de> + Eq + std::hash::Hash,
    V: serde::Deserialize<'de>,
    S: std::hash::BuildHasher + Default,
{
    struct M<K, V, S>(std::marker::PhantomData<(K, V, S)>);
    impl<'de, K, V, S> serde::de::Visitor<'de> for M<K, V, S>
    where
        K: serde::Deserialize<'de> + Eq + std::hash::Hash,
        V: serde::Deserialize<'de>,
        S: std::hash::BuildHasher + Default,
    {
        type Value = std::collections::HashMap<K, V, S>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = std::collections::HashMap::with_capacity_and_hasher(
                reserve::<(K, V)>(map.size_hint()),
                S::default(),
            );
            while let Some((k, v)) = map.next_entry()? {
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(M(std::marker::PhantomData))
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

    /// A stream that hands out at most `step` bytes per read.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_stream_decodes_like_a_slice_however_it_arrives() {
        // Longer than the stream buffer, with varints, strings and options across refills.
        let v: Vec<(u64, String, Option<i64>)> = (0..40_000u64)
            .map(|i| {
                (
                    i * 7919,
                    format!("value {i}"),
                    (i % 3 == 0).then_some(-(i as i64)),
                )
            })
            .collect();
        let bytes = encode(&v).unwrap();
        assert!(bytes.len() > 2 * STREAM_BUF);
        for step in [1, 7, 4096, usize::MAX] {
            let got: Vec<(u64, String, Option<i64>)> = decode_stream(Trickle {
                bytes: &bytes,
                step,
            })
            .unwrap();
            assert_eq!(got, v, "step {step}");
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[1, 2, 3]);
        assert!(matches!(
            decode_stream::<Vec<(u64, String, Option<i64>)>>(longer.as_slice()),
            Err(CodecError::Trailing(3))
        ));
        assert!(matches!(
            decode_stream::<Vec<(u64, String, Option<i64>)>>(&bytes[..bytes.len() - 1]),
            Err(CodecError::Decode(_))
        ));
    }

    #[test]
    fn a_failing_stream_reports_its_own_error() {
        struct Fails<'a>(&'a [u8]);
        impl std::io::Read for Fails<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("the disk went away"));
                }
                let n = out.len().min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let v: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
        let bytes = encode(&v).unwrap();
        let err = decode_stream::<Vec<String>>(Fails(&bytes[..bytes.len() / 2])).unwrap_err();
        assert!(err.to_string().contains("the disk went away"), "{err}");
    }

    #[test]
    fn large_containers_reserve_their_length_once() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Big {
            #[serde(deserialize_with = "exact_vec")]
            v: Vec<u32>,
            #[serde(deserialize_with = "exact_map")]
            m: std::collections::HashMap<u32, u64, foldhash::fast::RandomState>,
        }
        let big = Big {
            v: (0..300_000).collect(),
            m: (0..200_000u32).map(|i| (i, u64::from(i) << 20)).collect(),
        };
        let got: Big = decode(&encode(&big).unwrap()).unwrap();
        assert_eq!(got.v, big.v);
        assert_eq!(got.m, big.m);
        // serde's own would have reserved 1 MiB (262,144 u32) and doubled from there.
        assert_eq!(got.v.capacity(), big.v.len());
        let streamed: Big = decode_stream(encode(&big).unwrap().as_slice()).unwrap();
        assert_eq!(streamed.m, big.m);
        assert_eq!(streamed.v.capacity(), big.v.len());
        assert_eq!(reserve::<u64>(Some(usize::MAX)), MAX_RESERVE_BYTES / 8);
    }
}
