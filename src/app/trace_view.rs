//! The upstream view's body: every node with its label and fields, every edge with its
//! quantity, the suppliers, the makers and distributors. It borrows the world's strings
//! (`'w`, while the world's read lock is held) and holds public ids, serials and times
//! inline, so building one allocates a few vectors and nothing per string; it is
//! serialised before the lock is let go ([`crate::app::App::upstream_json`]).

use crate::app::views::{LatestInspection, PartyRef, QuantityView, UtcMillis};
use crate::core::ids::PublicId;
use crate::core::serials::Serial;
use serde::Serialize;

/// Key fields of a node in a trace, by kind.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum NodeFields<'w> {
    Party {
        role: &'static str,
        uscc: &'w str,
        city: &'w str,
    },
    Lot {
        lot_code: &'w str,
        producer: PublicId,
        material: &'static str,
        formaldehyde_class: &'static str,
        quantity: QuantityView,
        produced_at: UtcMillis,
    },
    Batch {
        batch_code: &'w str,
        manufacturer: PublicId,
        product: &'w str,
        model: &'w str,
        quantity: u32,
        produced_at: UtcMillis,
    },
    Unit {
        serial: Serial,
        batch: PublicId,
    },
    Listing {
        platform: PublicId,
        seller: PublicId,
        shop: &'w str,
        item_id: &'w str,
        url: &'w str,
        status: &'static str,
    },
    /// Pieces of a batch moved from its maker or a distributor to a distributor.
    GoodsShipment {
        batch: PublicId,
        from: PublicId,
        to: PublicId,
        pieces: u32,
        shipped_at: UtcMillis,
    },
}

/// A node's label: a record's own text, or text made of its parts (written straight into
/// the response, not into a string of its own).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Label<'w> {
    Text(&'w str),
    /// A unit: its serial.
    Serial(Serial),
    /// A batch: `{batch code} {product}`.
    Batch(&'w str, &'w str),
    /// A goods shipment: `{pieces} pcs`.
    Pieces(u32),
}

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Label::Text(s) => f.write_str(s),
            Label::Serial(s) => f.write_str(s),
            Label::Batch(code, product) => write!(f, "{code} {product}"),
            Label::Pieces(n) => write!(f, "{n} pcs"),
        }
    }
}

impl Serialize for Label<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Label::Text(t) => s.serialize_str(t),
            Label::Serial(t) => s.serialize_str(t),
            _ => s.collect_str(self),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TraceNode<'w> {
    pub id: PublicId,
    pub kind: &'static str,
    /// The event that recorded it: its leaf in the public log is `seq - 1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    pub label: Label<'w>,
    #[serde(flatten)]
    pub fields: NodeFields<'w>,
    /// `failed` (its latest inspection failed), `suspect` (upstream of a failed product),
    /// or `noncompliant` (a party declared so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark: Option<&'static str>,
    /// The latest inspection of this node, if any (boxed: most nodes have none, and the
    /// node stays small).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspection: Option<Box<LatestInspection>>,
}

// A node is copied into the view's vector: keep it within a few cache lines.
const _: () = assert!(std::mem::size_of::<TraceNode<'static>>() <= 320);

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TraceEdge {
    pub from: PublicId,
    pub to: PublicId,
    /// produced (party → lot), input (lot → lot or batch), unit (batch → unit),
    /// listed (batch → listing), goods (batch or goods shipment → goods shipment).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<QuantityView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SupplierView<'w> {
    pub id: PublicId,
    pub name: &'w str,
    pub uscc: &'w str,
    pub city: &'w str,
    /// The raw lots of this supplier in the trace.
    pub lots: Vec<PublicId>,
}

/// A party named in a trace (the directory data of [`PartyRef`], borrowed).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TraceParty<'w> {
    pub id: PublicId,
    pub name: &'w str,
    pub role: &'static str,
    pub uscc: &'w str,
    pub city: &'w str,
}

impl TraceParty<'_> {
    /// The same party, owning its strings.
    pub fn to_party_ref(&self) -> PartyRef {
        PartyRef {
            id: self.id,
            name: self.name.to_string(),
            role: self.role,
            uscc: self.uscc.to_string(),
            city: self.city.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UpstreamView<'w> {
    pub root: PublicId,
    pub nodes: Vec<TraceNode<'w>>,
    pub edges: Vec<TraceEdge>,
    pub suppliers: Vec<SupplierView<'w>>,
    /// The makers of the batches in the trace (the producers a trace reaches).
    pub producers: Vec<TraceParty<'w>>,
    /// The distributors the goods went through to the listing's seller, in no order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub distributors: Vec<TraceParty<'w>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_times_are_written_as_text() {
        let json = |v: &dyn erased::Ser| v.json();
        assert_eq!(json(&Label::Text("橱柜 \"A\"")), r#""橱柜 \"A\"""#);
        assert_eq!(json(&Label::Batch("B-7", "书桌")), r#""B-7 书桌""#);
        assert_eq!(json(&Label::Pieces(12)), r#""12 pcs""#);
        let serial = Serial::from("ABCDEFGHIJKLM").expect("13 characters");
        assert_eq!(json(&Label::Serial(serial)), r#""ABCDEFGHIJKLM""#);
        for ms in [0, 1_772_323_200_123, -1, i64::MAX] {
            assert_eq!(
                json(&UtcMillis(ms)),
                format!("\"{}\"", crate::app::views::fmt_time(ms))
            );
        }
    }

    /// Serialising test values of different types through one closure.
    mod erased {
        pub trait Ser {
            fn json(&self) -> String;
        }
        impl<T: serde::Serialize> Ser for T {
            fn json(&self) -> String {
                serde_json::to_string(self).unwrap_or_default()
            }
        }
    }
}
