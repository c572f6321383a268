//! The bureaus' assistance requests (协查) to platforms and to each other, and the orders
//! of samples bought online that a platform confirms (样品确认).

use super::{Id, Inspection, Listing, NodeId, Party};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// 生产企业追溯: who made what a listing or seller sells.
    ProducerTracing,
    /// 市场主体信息: a seller's licence and registration data.
    MarketSubject,
    /// 商品交易记录: sales of a listing.
    TransactionRecords,
    /// 样品确认: that a sample came from a listing and seller.
    SampleConfirmation,
    /// 数据比对.
    DataComparison,
    Other,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::ProducerTracing => "producer_tracing",
            RequestKind::MarketSubject => "market_subject",
            RequestKind::TransactionRecords => "transaction_records",
            RequestKind::SampleConfirmation => "sample_confirmation",
            RequestKind::DataComparison => "data_comparison",
            RequestKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Open,
    Answered,
    Declined,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Answered => "answered",
            RequestState::Declined => "declined",
        }
    }
}

/// A file sent with an answer (small: it lives in the answer's event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// How an addressee closed a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Answered {
        answer: String,
        /// Structured data, as canonical JSON text.
        data: Option<String>,
        attachments: Vec<Attachment>,
    },
    Declined {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistanceRequest {
    /// The bureau that asks.
    pub from: Id<Party>,
    /// A platform or another bureau.
    pub to: Id<Party>,
    pub kind: RequestKind,
    /// Listings, sellers (parties), batches, units or lots the request is about.
    pub subjects: Vec<NodeId>,
    pub question: String,
    /// UTC milliseconds.
    pub due_at: i64,
    pub created_at: i64,
    pub reply: Option<Reply>,
    pub replied_at: Option<i64>,
    /// The key (public id) that replied, for the timeline.
    pub replied_by: Option<String>,
}

impl AssistanceRequest {
    pub fn state(&self) -> RequestState {
        match &self.reply {
            None => RequestState::Open,
            Some(Reply::Answered { .. }) => RequestState::Answered,
            Some(Reply::Declined { .. }) => RequestState::Declined,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationResult {
    Confirmed,
    Disputed,
}

impl ConfirmationResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmationResult::Confirmed => "confirmed",
            ConfirmationResult::Disputed => "disputed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub result: ConfirmationResult,
    pub note: String,
    pub at: i64,
}

/// The online order a sample was bought with, recorded with its inspection; the listing's
/// platform confirms or disputes that the order was for that listing, seller and batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleOrder {
    pub inspection: Id<Inspection>,
    pub platform: Id<Party>,
    pub listing: Id<Listing>,
    /// The listing's seller when the order was recorded.
    pub seller: Id<Party>,
    pub order_no: String,
    pub ordered_at: i64,
    /// Price paid, in fen (0.01 yuan).
    pub price_fen: u64,
    pub confirmation: Option<Confirmation>,
}
