//! Verifying RFC 6962 proofs without the tree: the algorithms of RFC 9162 §2.1.3.2
//! (inclusion) and §2.1.4.2 (consistency), which check exactly the proofs of RFC 6962
//! §2.1.1 and §2.1.2. Used by witnesses, by `boardtrail proof verify` and by tests.

use super::hash::{node_hash, Hash};

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("size1 {size1} is larger than size2 {size2}")]
    SizesOutOfOrder { size1: u64, size2: u64 },
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    #[error("the computed root does not match")]
    RootMismatch,
    #[error("the proof does not lead to the first tree's root")]
    OldRootMismatch,
    #[error("equal sizes need an empty proof and equal roots")]
    SameSize,
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if s == 0 {
            return Err(VerifyError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::WrongLength);
    }
    if &r != root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1`
/// leaves with root `root1`.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if size1 > size2 {
        return Err(VerifyError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == size2 {
        if !proof.is_empty() || root1 != root2 {
            return Err(VerifyError::SameSize);
        }
        return Ok(());
    }
    if size1 == 0 {
        // Every tree extends the empty one; the proof is empty.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(VerifyError::WrongLength)
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(*root1);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(VerifyError::WrongLength);
    };
    let (mut f, mut s) = (size1 - 1, size2 - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(VerifyError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::WrongLength);
    }
    if &fr != root1 {
        return Err(VerifyError::OldRootMismatch);
    }
    if &sr != root2 {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}
