//! Reading the verifiable log's leaves: an event's stored bytes, one or a tile's bundle of
//! them, for callers the policy lets read those events.

use super::*;
use crate::store::ledger::decode;

/// Where a record stands in the public log: the event that recorded it, and whether the
/// latest checkpoint (with its witnesses' cosignatures) covers it.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct LogStanding {
    /// The event that recorded it (its leaf index is `seq - 1`).
    pub seq: u64,
    /// The tree size of the latest signed checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_size: Option<u64>,
    /// Whether that checkpoint includes the event.
    pub included: bool,
    /// The witnesses that cosigned that checkpoint.
    pub cosigned_by: Vec<String>,
    /// The inclusion proof of the event in that checkpoint's tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
}

impl App {
    /// Where the record `id` stands in the public log (None without a log).
    pub(crate) fn log_standing(&self, id: NodeId) -> Option<LogStanding> {
        let log = self.log()?;
        let seq = self.store.world().created_seq(id)?;
        let (size, cosigned_by) = match log.published_summary() {
            Some((n, by)) => (Some(n), by),
            None => (None, Vec::new()),
        };
        let included = size.is_some_and(|n| n >= seq);
        Some(LogStanding {
            seq,
            checkpoint_size: size,
            included,
            cosigned_by,
            proof: size
                .filter(|_| included)
                .map(|n| format!("/log/proof/inclusion?seq={seq}&size={n}")),
        })
    }

    /// The seq of the event that created the record `public_id` names.
    pub fn created_seq_of(&self, public_id: &str) -> Option<u64> {
        let (_, id) = self.resolve_any(public_id).ok()?;
        self.store.world().created_seq(id)
    }

    /// Adds `"seq"` (the creating event's number in the log) to a created resource's JSON.
    pub fn with_seq(&self, v: &mut serde_json::Value) {
        let Some(obj) = v.as_object_mut() else { return };
        if obj.contains_key("seq") {
            return;
        }
        if let Some(seq) = obj
            .get("id")
            .and_then(|i| i.as_str())
            .and_then(|i| self.created_seq_of(i))
        {
            obj.insert("seq".into(), seq.into());
        }
    }

    /// The stored entry of event `seq` (its Merkle leaf), if the caller may read the event.
    /// An event it may not read answers like one that does not exist.
    pub fn log_leaf(&self, caller: &Caller, seq: u64) -> AppResult<Vec<u8>> {
        let hidden = || AppError::not_found("seq", format!("no event {seq} that you may read"));
        let raw = self.store.entry(seq)?.ok_or_else(hidden)?;
        if !self.can_read_event(caller, &decode(seq, &raw)?) {
            return Err(hidden());
        }
        Ok(raw)
    }

    /// The entry bundle (C2SP tlog-tiles) of events `first..=last`: only for a caller who
    /// may read every one of them (a regulator or the operator in practice).
    pub fn log_entries(&self, caller: &Caller, first: u64, last: u64) -> AppResult<Vec<u8>> {
        let mut entries = Vec::new();
        for seq in first..=last {
            let raw = self
                .store
                .entry(seq)?
                .ok_or_else(|| AppError::not_found("tile", format!("no event {seq}")))?;
            if !self.can_read_event(caller, &decode(seq, &raw)?) {
                return Err(AppError::Forbidden(format!(
                    "event {seq} of this bundle is not yours to read: entry bundles are for regulators"
                )));
            }
            entries.push(raw);
        }
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        crate::tlog::tiles::entry_bundle(&refs).map_err(|e| AppError::Internal(e.to_string()))
    }
}
