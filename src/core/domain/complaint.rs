//! A consumer's complaint about a scanned product (消费维权): filed without an account from
//! the public scan page, it opens a case of kind `complaint` in the inbox of the bureau of
//! the maker's city. The complaint record keeps what only regulators read (the text, the
//! contact, the photo); the complainant follows its case's status by the reference.

use super::{Case, Id, NodeId};
use serde::{Deserialize, Serialize};

/// A photo sent with a complaint (JPEG, PNG or WebP, small enough for one log entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// `image/jpeg`, `image/png` or `image/webp`, sniffed from the bytes.
    pub media_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// The complainant's reference (`TS-XXXX-XXXX-XXXX-XXXX`, 80 random bits): whoever holds
    /// it may read the case's public status, so it cannot be guessed.
    pub reference: String,
    /// The case it opened.
    pub case: Id<Case>,
    /// What was scanned: a unit, batch, lot or listing.
    pub subject: NodeId,
    /// What is wrong, in the complainant's words.
    pub text: String,
    /// How to reach the complainant (regulators only).
    pub contact: Option<String>,
    pub photo: Option<Photo>,
    pub created_at: i64,
}
